namespace Registry.Dtr;

/// <summary>
/// DTR's <c>ScannerLicense</c> of a license name: an SPDX identifier gets its SPDX page and its kind, <c>permissive</c>
/// or <c>copyleft</c> for the common ones; a name that is not an identifier (a package's own words) gets neither.
/// </summary>
public static class LicenseKinds
{
    private static readonly string[] Permissive =
        ["MIT", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "ISC", "Zlib", "0BSD", "Unlicense", "PSF-2.0", "Python-2.0", "BSL-1.0", "X11", "OpenSSL", "curl"];

    private static readonly string[] CopyleftPrefixes = ["GPL-", "LGPL-", "AGPL-", "MPL-", "EPL-", "CDDL-", "EUPL-", "OSL-"];

    public static LicenseView View(string name)
    {
        var spdx = name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '+');
        var kind = Permissive.Contains(name, StringComparer.OrdinalIgnoreCase) ? "permissive"
            : CopyleftPrefixes.Any(p => name.StartsWith(p, StringComparison.OrdinalIgnoreCase)) ? "copyleft"
            : "";
        return new LicenseView(name, kind, spdx ? $"https://spdx.org/licenses/{name}.html" : "");
    }
}
