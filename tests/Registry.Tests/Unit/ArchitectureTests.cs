using System.Reflection;
using NetArchTest.Rules;

namespace Registry.Tests.Unit;

/// <summary>
/// The layering the projects promise, checked on the built assemblies: Core (the domain) reaches no ASP.NET Core and
/// none of the outer projects, and outside its storage namespace no Azure SDK type; Http reaches neither the Functions
/// app nor the tests.
/// </summary>
public sealed class ArchitectureTests
{
    private static readonly Assembly Core = typeof(Registry.Oci.Digest).Assembly;
    private static readonly Assembly Http = typeof(Registry.Http.HttpResult).Assembly;

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
    public void CoreOutsideStorage_ReachesNoAzureType()
    {
        // Act: every type (nested compiler types counted as the type that declares them) that depends on Azure.*
        var all = Types.InAssembly(Core).That().HaveDependencyOn("Azure").GetTypes().Select(Outermost).Distinct().ToList();
        var reaching = all
            .Where(t => t.Namespace is not null && !t.Namespace.StartsWith("Registry.Storage", StringComparison.Ordinal))
            .Select(t => t.FullName!)
            .ToList();

        // Assert: the check sees the storage side (which speaks to Azure), and nothing else does
        Assert.Contains(typeof(Registry.Storage.ContentStore), all);
        Assert.Empty(reaching);
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
