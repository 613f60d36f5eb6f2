using System.Diagnostics;

namespace Registry.Tests.Support;

/// <summary>The Notary client (Debian's <c>notary</c>), run against a test host with passphrases from the environment.</summary>
public static class NotaryCli
{
    /// <summary>Runs the Notary client against <paramref name="host"/> with the trust directory given.</summary>
    public static async Task<(int Code, string Output)> RunAsync(RegistryHost host, string trustDir, params string[] args)
    {
        var start = new ProcessStartInfo("notary") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-s", host.BaseAddress.ToString().TrimEnd('/'), "-d", trustDir }.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (role, pass) in new[] { ("ROOT", "root-pass"), ("TARGETS", "targets-pass"), ("SNAPSHOT", "snapshot-pass") })
        {
            start.Environment[$"NOTARY_{role}_PASSPHRASE"] = pass;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>Initializes <paramref name="gun"/> and publishes <paramref name="tag"/> for a file holding <paramref name="text"/>; the outputs of both, or a failure naming them.</summary>
    public static async Task<string> InitAndAddAsync(RegistryHost host, string trustDir, string gun, string tag, string text)
    {
        var target = System.IO.Path.Combine(trustDir, "target.bin");
        await File.WriteAllTextAsync(target, text);
        var init = await RunAsync(host, trustDir, "init", "-p", gun);
        var add = await RunAsync(host, trustDir, "add", "-p", gun, tag, target);
        Assert.True(init.Code == 0 && add.Code == 0, init.Output + add.Output);
        return init.Output + add.Output;
    }

    public sealed class TempDirectory : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("notary").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
