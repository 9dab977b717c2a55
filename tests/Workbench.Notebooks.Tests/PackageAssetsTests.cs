namespace Workbench.Notebooks.Tests;

public class PackageAssetsTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "wb-assets-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void RuntimeAssembliesOfEveryPackageAreListedLikePublishWould()
    {
        // A restore of Pkg.A 1.0 depending on Pkg.B 2.0 and System.Memory (in the shared framework).
        var packages = Path.Combine(dir, "packages") + "/";
        foreach (var f in new[] { "pkg.a/1.0.0/lib/net8.0/Pkg.A.dll", "pkg.b/2.0.0/lib/netstandard2.0/Pkg.B.dll", "system.memory/4.5.5/lib/netstandard2.0/System.Memory.dll" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(packages, f))!);
            File.WriteAllText(Path.Combine(packages, f), "");
        }
        var assets = Path.Combine(dir, "project.assets.json");
        File.WriteAllText(assets, $$"""
            {
              "version": 3,
              "targets": {
                "net10.0": {
                  "Pkg.A/1.0.0": { "type": "package", "compile": { "ref/net8.0/Pkg.A.dll": {} }, "runtime": { "lib/net8.0/Pkg.A.dll": {} } },
                  "Pkg.B/2.0.0": { "type": "package", "runtime": { "lib/netstandard2.0/Pkg.B.dll": {}, "lib/netstandard2.0/_._": {} } },
                  "System.Memory/4.5.5": { "type": "package", "runtime": { "lib/netstandard2.0/System.Memory.dll": {} } },
                  "Other/1.0.0": { "type": "project" }
                }
              },
              "libraries": {
                "Pkg.A/1.0.0": { "path": "pkg.a/1.0.0" },
                "Pkg.B/2.0.0": { "path": "pkg.b/2.0.0" },
                "System.Memory/4.5.5": { "path": "system.memory/4.5.5" }
              },
              "packageFolders": { "{{packages.Replace("\\", "\\\\")}}": {} }
            }
            """);
        var files = PackageResolver.ReadAssets(assets, "net10.0", "pkg.a", "#r");
        Assert.Equal([Path.GetFullPath(packages + "pkg.a/1.0.0/lib/net8.0/Pkg.A.dll"), Path.GetFullPath(packages + "pkg.b/2.0.0/lib/netstandard2.0/Pkg.B.dll")], files);

        Assert.Contains("did not include the package Pkg.C", Assert.Throws<PackageRestoreException>(() => PackageResolver.ReadAssets(assets, "net10.0", "Pkg.C", "#r")).Message);
        Assert.Contains("has no target net9.0", Assert.Throws<PackageRestoreException>(() => PackageResolver.ReadAssets(assets, "net9.0", "Pkg.A", "#r")).Message);
    }
}
