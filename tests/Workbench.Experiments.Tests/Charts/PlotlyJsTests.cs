using Workbench.Experiments.Charts;

namespace Workbench.Experiments.Tests.Charts;

public class PlotlyJsTests
{
    private static string TempDir() => Path.Combine(Path.GetTempPath(), "wb-plotly-test-" + Guid.NewGuid().ToString("N"));

    private static Func<string?> NoNpm => () => null;

    [Fact]
    public void Missing_npm_is_reported_with_how_to_install_it()
    {
        string dir = TempDir();
        try
        {
            string path = Path.Combine(dir, "plotly.min.js");
            var e = Assert.Throws<InvalidOperationException>(() => PlotlyJs.EnsureAt(path, acceptAnyVersion: false, null, NoNpm));
            Assert.Contains("npm was not found", e.Message);
            Assert.Contains("apt-get install npm", e.Message);
            Assert.Contains(PlotlyJs.EnvironmentVariable, e.Message);
            Assert.False(File.Exists(path));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Existing_files_are_kept_or_refetched_by_version()
    {
        string dir = TempDir();
        Directory.CreateDirectory(dir);
        try
        {
            string path = Path.Combine(dir, "plotly.min.js");
            const string old = "/**\n* plotly.js v2.0.0\n*/ window.Plotly = {};";
            File.WriteAllText(path, old);

            // A file the user named is used whatever its version; npm is not even looked for.
            Func<string?> mustNotFetch = () => throw new Xunit.Sdk.XunitException("npm should not be needed");
            Assert.Equal(path, PlotlyJs.EnsureAt(path, acceptAnyVersion: true, null, mustNotFetch));

            // In the checkout cache another version is replaced: here the fetch is attempted (and fails for lack of npm),
            // leaving the old file untouched.
            var log = new List<string>();
            Assert.Throws<InvalidOperationException>(() => PlotlyJs.EnsureAt(path, acceptAnyVersion: false, log.Add, NoNpm));
            Assert.Contains(log, l => l.Contains("holds version 2.0.0") && l.Contains(PlotlyJs.Version));
            Assert.Equal(old, File.ReadAllText(path));

            // The pinned version is kept as is.
            File.WriteAllText(path, $"/**\n* plotly.js v{PlotlyJs.Version}\n*/ window.Plotly = {{}};");
            Assert.Equal(path, PlotlyJs.EnsureAt(path, acceptAnyVersion: false, null, mustNotFetch));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void Fetch_packs_checks_integrity_and_extracts_the_bundle()
    {
        string? npm = null;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            if (File.Exists(Path.Combine(dir, "npm"))) { npm = Path.Combine(dir, "npm"); break; }
        string target = TempDir();
        try
        {
            string path = Path.Combine(target, "cache", "plotly.min.js");
            var log = new List<string>();
            if (npm is null)
            {
                var e = Assert.Throws<InvalidOperationException>(() => PlotlyJs.EnsureAt(path, false, log.Add, () => null));
                Assert.Contains("apt-get install npm", e.Message);
                return;
            }
            Assert.Equal(path, PlotlyJs.EnsureAt(path, acceptAnyVersion: false, log.Add, () => npm));
            Assert.Equal(PlotlyJs.Version, PlotlyJs.ReadVersion(path));
            Assert.Contains(log, l => l.Contains("npm pack"));
            Assert.Contains(log, l => l.Contains("saved to " + path));
            // The file is the package's plotly.min.js byte for byte (the same file the checkout cache holds),
            // and the temporary fetch folder is gone.
            Assert.Equal(File.ReadAllBytes(PlotlyJs.Ensure()), File.ReadAllBytes(path));
            Assert.Equal(new[] { path }, Directory.GetFileSystemEntries(Path.GetDirectoryName(path)!));
            Assert.Contains("window.Plotly", PlotlyJs.LoadFrom(path));
        }
        finally
        {
            if (Directory.Exists(target)) Directory.Delete(target, true);
        }
    }
}
