using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;

namespace Registry.Functions;

/// <summary>
/// The app settings that trigger bindings name as <c>%setting%</c> (schedules, queue names). The Functions host
/// resolves them from app settings only, not from the app's option defaults, and a function whose setting is missing
/// is not indexed: its timer never fires and nothing says so after start. The worker checks them at start instead.
/// </summary>
public static partial class BindingSettings
{
    /// <summary>Each function with a <c>%setting%</c> in a trigger attribute, and the setting's name.</summary>
    public static IReadOnlyList<(string Function, string Setting)> Referenced() =>
        typeof(BindingSettings).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Where(m => m.GetCustomAttribute<FunctionAttribute>() is not null)
            .SelectMany(m => m.GetParameters()
                .SelectMany(p => p.GetCustomAttributes())
                .SelectMany(ExpressionsOf)
                .SelectMany(e => SettingExpression().Matches(e).Select(x => (m.GetCustomAttribute<FunctionAttribute>()!.Name, x.Groups[1].Value))))
            .Distinct()
            .ToList();

    /// <summary>The message naming every missing setting, or null when all are set.</summary>
    public static string? FindMissing(IConfiguration configuration)
    {
        var missing = Referenced().Where(r => string.IsNullOrWhiteSpace(configuration[r.Setting])).ToList();
        if (missing.Count == 0)
        {
            return null;
        }

        var names = missing.Select(m => $"{m.Setting} (app setting {m.Setting.Replace(":", "__", StringComparison.Ordinal)}, used by {m.Function})");
        return "Missing app settings that trigger bindings name: " + string.Join("; ", names) +
            ". The Functions host reads them from app settings only; local.settings.sample.json lists each with its default.";
    }

    private static IEnumerable<string> ExpressionsOf(Attribute attribute) => attribute switch
    {
        TimerTriggerAttribute timer => [timer.Schedule],
        QueueTriggerAttribute queue => [queue.QueueName],
        _ => [],
    };

    [GeneratedRegex("%([^%]+)%")]
    private static partial Regex SettingExpression();
}
