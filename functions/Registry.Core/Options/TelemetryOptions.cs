namespace Registry.Options;

/// <summary>Where traces and metrics go (<c>Registry:Telemetry</c>); Azure Monitor whenever APPLICATIONINSIGHTS_CONNECTION_STRING is set.</summary>
public sealed class TelemetryOptions
{
    public const string Section = "Registry:Telemetry";

    /// <summary>Whether the standalone host serves the metrics as Prometheus text at <c>/metrics</c> (off by default).</summary>
    public bool Prometheus { get; set; }

    /// <summary>The bearer token a scraper must send to <c>/metrics</c> (at least 16 characters; required with <see cref="Prometheus"/>).</summary>
    public string? PrometheusToken { get; set; }
}
