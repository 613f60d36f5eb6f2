using System.Text.RegularExpressions;
using Registry.Storage;

namespace Registry.Tests.Unit;

/// <summary>What the Bicep deploys against what the app expects of it.</summary>
public sealed partial class DeploymentTests
{
    [Fact]
    public void MainBicep_RegistryTables_AreTheTablesOfTheStorageLayout()
    {
        // Arrange: the deployment creates the tables, and the app (Registry:Storage:CreateBeforeStart off) relies on it
        var bicep = File.ReadAllText(Path.Combine(RepositoryRoot(), "infra", "main.bicep"));
        var list = RegistryTables().Match(bicep);

        // Act
        var deployed = TableName().Matches(list.Groups[1].Value).Select(m => m.Groups[1].Value).ToList();

        // Assert
        Assert.True(list.Success, "main.bicep declares no registryTables");
        Assert.Equal(StorageLayout.Tables, deployed);
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Serverless.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("the repository root is not above the test output");
    }

    [GeneratedRegex(@"var registryTables = \[(.*?)\]", RegexOptions.Singleline)]
    private static partial Regex RegistryTables();

    [GeneratedRegex(@"'([A-Za-z0-9]+)'")]
    private static partial Regex TableName();
}
