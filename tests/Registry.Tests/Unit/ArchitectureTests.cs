using System.Reflection;
using NetArchTest.Rules;

namespace Registry.Tests.Unit;

/// <summary>
/// The layering the projects promise, checked on the built assemblies: Core (the domain and the store interfaces)
/// reaches neither ASP.NET Core nor any Azure SDK nor another project; Storage (the Azure side of the stores) reaches
/// Core only, no HTTP; Http reaches Core only, neither storage nor the Functions app; nothing reaches the tests.
/// </summary>
public sealed class ArchitectureTests
{
    private static readonly Assembly Core = typeof(Registry.Oci.Digest).Assembly;
    private static readonly Assembly Storage = typeof(Registry.Storage.StorageLayout).Assembly;
    private static readonly Assembly Http = typeof(Registry.Http.HttpResult).Assembly;

    private static readonly string[] OuterProjects = ["Registry.Storage.Azure", "Registry.Http", "Registry.Functions", "Registry.Tests", "Registry.FunctionsHost"];

    [Fact]
    public void Core_References_NoAspNetCoreNoAzureAndNoOtherProject()
    {
        // Act
        var referenced = Referenced(Core);

        // Assert
        Assert.DoesNotContain(referenced, name => name.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        Assert.DoesNotContain(referenced, name => name.StartsWith("Azure", StringComparison.Ordinal));
        Assert.DoesNotContain(referenced, OuterProjects.Contains);
    }

    [Fact]
    public void CoreTypes_DependOnNoAzureType()
    {
        // Act: every type (nested compiler types counted as the type that declares them) that depends on Azure.*. (The
        // password hasher's namespace is Microsoft.AspNetCore.Identity, but its assembly is Microsoft.Extensions.Identity.Core,
        // outside ASP.NET Core: the assembly check above is the one for ASP.NET.)
        var reaching = Types.InAssembly(Core).That().HaveDependencyOn("Azure").GetTypes()
            .Select(t => Outermost(t).FullName!).Distinct().ToList();
        var storageSide = Types.InAssembly(Storage).That().HaveDependencyOn("Azure").GetTypes().Select(Outermost).ToList();

        // Assert: the same check finds the storage side, which speaks to Azure; nothing in Core does
        Assert.Contains(typeof(Registry.Storage.ContentStore), storageSide);
        Assert.Empty(reaching);
    }

    [Fact]
    public void Storage_References_CoreAndNoHttp()
    {
        // Act
        var referenced = Referenced(Storage);

        // Assert
        Assert.Contains("Registry.Core", referenced);
        Assert.DoesNotContain(referenced, name => name.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        Assert.DoesNotContain(referenced, name => name != "Registry.Storage.Azure" && OuterProjects.Contains(name));
    }

    [Fact]
    public void Http_References_CoreAndNeitherStorageNorTheFunctionsAppNorTheTests()
    {
        // Act
        var referenced = Referenced(Http);

        // Assert: the HTTP side speaks to the stores through Core's interfaces only
        Assert.Contains("Registry.Core", referenced);
        Assert.DoesNotContain(referenced, name => name.StartsWith("Azure", StringComparison.Ordinal));
        Assert.DoesNotContain(referenced, name => name != "Registry.Http" && OuterProjects.Contains(name));
    }

    private static List<string> Referenced(Assembly assembly) => assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();

    private static Type Outermost(Type type)
    {
        while (type.DeclaringType is not null)
        {
            type = type.DeclaringType;
        }

        return type;
    }
}
