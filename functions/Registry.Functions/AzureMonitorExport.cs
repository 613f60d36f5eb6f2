using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Registry.Functions;

/// <summary>Both hosts send the registry's spans and metrics to Azure Monitor when Application Insights is configured.</summary>
public static class AzureMonitorExport
{
    public static IHostApplicationBuilder AddAzureMonitorExport(this IHostApplicationBuilder builder)
    {
        if (!string.IsNullOrWhiteSpace(builder.Configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"]))
        {
            builder.Services.AddOpenTelemetry()
                .WithTracing(t => t.AddAzureMonitorTraceExporter())
                .WithMetrics(m => m.AddAzureMonitorMetricExporter());
        }

        return builder;
    }
}
