using System.Reflection;
using NetArchTest.Rules;

namespace Registry.Tests.Unit;

/// <summary>
/// The layering the projects promise, checked on the built assemblies: Core (the domain) reaches no ASP.NET Core and
/// none of the outer projects; Http reaches neither the Functions app nor the tests; and the types of Core that still
/// reach the Azure SDK are a known list that may only shrink, until storage has a project of its own.
/// </summary>
public sealed class ArchitectureTests
{
    private static readonly Assembly Core = typeof(Registry.Oci.Digest).Assembly;
    private static readonly Assembly Http = typeof(Registry.Http.HttpResult).Assembly;

    /// <summary>Types of Core that call the Azure SDK today. Storage moves out of Core; nothing may join this list.</summary>
    private static readonly string[] AzureInCore =
    [
        "Registry.Scanning.VulnerabilityDatabase",
    ];

    [Fact]
    public void Core_References_NoAspNetCoreAndNoOuterProject()
    {
        // Act
        var referenced = Core.GetReferencedAssemblies().Select(a => a.Name!).ToList();

        // Assert
        Assert.DoesNotContain(referenced, name => name.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        Assert.DoesNotContain(referenced, name => name is "Registry.Http" or "Registry.Functions" or "Registry.Tests" or "Registry.FunctionsHost");
    }

    [Fact]
    public void Http_References_NeitherTheFunctionsAppNorTheTests()
    {
        // Act
        var referenced = Http.GetReferencedAssemblies().Select(a => a.Name!).ToList();

        // Assert
        Assert.Contains("Registry.Core", referenced);
        Assert.DoesNotContain(referenced, name => name is "Registry.Functions" or "Registry.Tests" or "Registry.FunctionsHost");
    }

    [Fact]
    public void CoreOutsideStorage_ReachesAzure_OnlyInTheKnownTypes()
    {
        // Act: every type (nested compiler types counted as the type that declares them) that depends on Azure.*
        var reaching = Types.InAssembly(Core).That().HaveDependencyOn("Azure").GetTypes()
            .Select(Outermost)
            .Where(t => t.Namespace is not null && !t.Namespace.StartsWith("Registry.Storage", StringComparison.Ordinal))
            .Select(t => t.FullName!)
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();

        // Assert: none joins, and the list says exactly which remain
        Assert.Empty(reaching.Except(AzureInCore));
        Assert.Empty(AzureInCore.Except(reaching));
    }

    private static Type Outermost(Type type)
    {
        while (type.DeclaringType is not null)
        {
            type = type.DeclaringType;
        }

        return type;
    }
}
