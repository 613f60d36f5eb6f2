namespace Registry.Tests.Support;

/// <summary>
/// Debian's Go toolchain (<c>golang-go</c>, installed by the test command): builds small programs offline in a
/// folder of their own, and reads binaries back with <c>go version -m</c>, the ground truth of build information.
/// </summary>
public static class GoToolchain
{
    /// <summary>Runs <c>go</c> with <paramref name="args"/> in <paramref name="directory"/>; its output, or a failure that shows it.</summary>
    public static Task<string> RunAsync(string directory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        // Offline, with caches of its own (the test host may have no writable home).
        var settings = new Dictionary<string, string>
        {
            ["GOPROXY"] = "off",
            ["GOCACHE"] = Path.Combine(Path.GetTempPath(), "registry-tests-gocache"),
            ["GOPATH"] = Path.Combine(Path.GetTempPath(), "registry-tests-gopath"),
            ["CGO_ENABLED"] = "0",
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }

        return Tool.RunAsync("go", directory, settings, args);
    }

    /// <summary>
    /// The modules <c>go version -m</c> prints, as a scanner should report them: the toolchain, then each <c>mod</c> and
    /// <c>dep</c> line, replaced by the <c>=&gt;</c> line after it unless that names a directory (no version, or <c>(devel)</c>).
    /// </summary>
    public static async Task<(string Toolchain, IReadOnlyList<(string Module, string Version)> Modules)> VersionAsync(string binary)
    {
        var output = await RunAsync(Path.GetDirectoryName(binary)!, null, "version", "-m", binary);
        var lines = output.Split('\n');
        Assert.True(lines[0].Contains(": go", StringComparison.Ordinal), $"go version -m {binary}: {output}");
        var toolchain = lines[0][(lines[0].IndexOf(": ", StringComparison.Ordinal) + 2)..].Trim();
        var modules = new List<(string, string)>();
        foreach (var line in lines.Skip(1))
        {
            var fields = line.Trim().Split('\t');
            if (fields is ["mod" or "dep", var module, var version, ..])
            {
                modules.Add((module, version));
            }
            else if (fields is ["=>", var replacement, var replaced, ..] && replaced is not ("" or "(devel)"))
            {
                modules[^1] = (replacement!, replaced!);
            }
        }

        return (toolchain, modules);
    }
}
