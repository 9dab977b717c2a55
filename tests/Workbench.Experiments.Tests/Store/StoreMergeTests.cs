using Workbench.Experiments.Ablation;
using Workbench.Experiments.Store;
using Workbench.Experiments.Tests.Ablation;

namespace Workbench.Experiments.Tests.Store;

public class StoreMergeTests
{
    /// <summary>A store holding hand-made records (and a run folder with one file for each).</summary>
    private static RunStore MakeStore(string path, Shard shard, params RunRecord[] records)
    {
        var store = new RunStore(path).Create();
        foreach (var r in records)
        {
            store.Append(r, shard);
            Directory.CreateDirectory(store.RunFolder(r.Key).Path);
            File.WriteAllText(store.RunFolder(r.Key).File("metrics.csv"), $"from {path}");
        }
        return store;
    }

    [Fact]
    public void MergeJoinsRecordsAndRunFolders()
    {
        using var dir = new Sweeps.TempDir();
        MakeStore(dir.Sub("a"), new Shard(0, 2), RunStoreTests.Record(1), RunStoreTests.Record(3));
        MakeStore(dir.Sub("b"), new Shard(1, 2), RunStoreTests.Record(2));
        var logged = new List<string>();
        var result = StoreMerge.Merge(dir.Sub("out"), [dir.Sub("a"), dir.Sub("b")], logged.Add);
        Assert.Equal(3, result.Records);
        Assert.Equal(3, result.RunFoldersCopied);
        Assert.Empty(result.Duplicates);
        Assert.Empty(result.MissingRunFolders);
        Assert.Equal(2, logged.Count);

        var merged = new RunStore(dir.Sub("out"));
        Assert.Equal(["shard-0-of-1.jsonl"], merged.RecordFiles().Select(Path.GetFileName));
        Assert.Equal([RunStoreTests.Record(1).Key, RunStoreTests.Record(3).Key, RunStoreTests.Record(2).Key], merged.ReadAll().Select(r => r.Key));
        Assert.Equal($"from {dir.Sub("b")}", File.ReadAllText(merged.RunFolder(RunStoreTests.Record(2).Key).File("metrics.csv")));
        Assert.DoesNotContain(Directory.GetDirectories(merged.RunsDirectory), d => d.EndsWith(".merging", StringComparison.Ordinal));
    }

    [Fact]
    public void TheSameRunTwiceIsKeptOnceAndReported()
    {
        using var dir = new Sweeps.TempDir();
        var r = RunStoreTests.Record(1);
        MakeStore(dir.Sub("a"), Shard.All, r, RunStoreTests.Record(2));
        MakeStore(dir.Sub("b"), Shard.All, r with { WallSeconds = 42, FinishedAt = DateTimeOffset.UnixEpoch });
        var result = StoreMerge.Merge(dir.Sub("out"), [dir.Sub("a"), dir.Sub("b")]);
        Assert.Equal(2, result.Records);
        var dup = Assert.Single(result.Duplicates);
        Assert.Equal(r.Key, dup.Key);
        Assert.Contains(Path.Combine(dir.Sub("a"), "records"), dup.Kept);
        Assert.Contains(Path.Combine(dir.Sub("b"), "records"), dup.Dropped);
        // The first store's copy is the one kept.
        Assert.Equal(r.WallSeconds, new RunStore(dir.Sub("out")).ReadAll().Single(x => x.Key == r.Key).WallSeconds);
    }

    [Fact]
    public void DifferentResultsForOneRunAreAnError()
    {
        using var dir = new Sweeps.TempDir();
        MakeStore(dir.Sub("a"), Shard.All, RunStoreTests.Record(1, loss: 100.5), RunStoreTests.Record(2));
        MakeStore(dir.Sub("b"), Shard.All, RunStoreTests.Record(1, loss: 101.5));
        var e = Assert.Throws<StoreConflictException>(() => StoreMerge.Merge(dir.Sub("out"), [dir.Sub("a"), dir.Sub("b")]));
        Assert.Contains($"key {RunStoreTests.Record(1).Key}", e.Message);
        Assert.Contains(Path.Combine(dir.Sub("a"), "records", "shard-0-of-1.jsonl") + ", line 1", e.Message);
        Assert.Contains(Path.Combine(dir.Sub("b"), "records", "shard-0-of-1.jsonl") + ", line 1", e.Message);
        Assert.Contains("epoch 1", e.Message);
        // Nothing was written.
        Assert.False(Directory.Exists(dir.Sub("out")));
    }

    [Fact]
    public void BadInputsAreNamed()
    {
        using var dir = new Sweeps.TempDir();
        MakeStore(dir.Sub("a"), Shard.All, RunStoreTests.Record(1));
        Directory.CreateDirectory(dir.Sub("plain"));

        Assert.Contains("does not exist", Assert.Throws<DirectoryNotFoundException>(() => StoreMerge.Merge(dir.Sub("out"), [dir.Sub("a"), dir.Sub("nope")])).Message);
        Assert.Contains("is not a run store", Assert.Throws<InvalidDataException>(() => StoreMerge.Merge(dir.Sub("out"), [dir.Sub("plain")])).Message);
        Assert.Contains("listed twice", Assert.Throws<ArgumentException>(() => StoreMerge.Merge(dir.Sub("out"), [dir.Sub("a"), dir.Sub("a") + "/"])).Message);
        Assert.Contains("also an input", Assert.Throws<ArgumentException>(() => StoreMerge.Merge(dir.Sub("a"), [dir.Sub("a")])).Message);
        Assert.Contains("at least one store", Assert.Throws<ArgumentException>(() => StoreMerge.Merge(dir.Sub("out"), [])).Message);
        MakeStore(dir.Sub("full"), Shard.All, RunStoreTests.Record(2));
        Assert.Contains("already holds run records", Assert.Throws<IOException>(() => StoreMerge.Merge(dir.Sub("full"), [dir.Sub("a")])).Message);

        // A corrupt input stops the merge with its file and line, before anything is written.
        File.AppendAllText(new RunStore(dir.Sub("a")).ShardFile(Shard.All), "{oops\n");
        var e = Assert.Throws<RunStoreException>(() => StoreMerge.Merge(dir.Sub("out"), [dir.Sub("a")]));
        Assert.Contains("shard-0-of-1.jsonl, line 2", e.Message);
        Assert.False(Directory.Exists(dir.Sub("out")));
    }

    [Fact]
    public void ARecordWithoutItsRunFolderIsKeptAndReported()
    {
        using var dir = new Sweeps.TempDir();
        var store = new RunStore(dir.Sub("a")).Create();
        store.Append(RunStoreTests.Record(1), Shard.All);
        var result = StoreMerge.Merge(dir.Sub("out"), [dir.Sub("a")]);
        Assert.Equal(1, result.Records);
        Assert.Equal([RunStoreTests.Record(1).Key], result.MissingRunFolders);
        Assert.Equal(0, result.RunFoldersCopied);
    }

    [Fact]
    public void AnInterruptedMergeIsRunAgainIntoTheSameFolder()
    {
        using var dir = new Sweeps.TempDir();
        var r = RunStoreTests.Record(1);
        MakeStore(dir.Sub("a"), Shard.All, r);
        // What a merge killed while copying leaves: run folders, a half copy, no records.
        var output = new RunStore(dir.Sub("out")).Create();
        Directory.CreateDirectory(output.RunFolder(r.Key).Path + ".merging");
        Directory.CreateDirectory(output.RunFolder(r.Key).Path);
        File.WriteAllText(output.RunFolder(r.Key).File("old.txt"), "old");
        var result = StoreMerge.Merge(dir.Sub("out"), [dir.Sub("a")]);
        Assert.Equal(1, result.Records);
        Assert.False(File.Exists(output.RunFolder(r.Key).File("old.txt")));
        Assert.True(File.Exists(output.RunFolder(r.Key).File("metrics.csv")));
        Assert.False(Directory.Exists(output.RunFolder(r.Key).Path + ".merging"));
    }
}
