using Workbench.Experiments.Ablation;
using Workbench.Experiments.Store;
using Workbench.Experiments.Tests.Ablation;
using Workbench.Vae;
using Workbench.Vae.Training;

namespace Workbench.Experiments.Tests.Store;

public class RunStoreTests
{
    /// <summary>A hand-made record with a valid key: seed picks the run, loss the result.</summary>
    internal static RunRecord Record(ulong seed, double loss = 100.5, string outcome = "completed", EvaluationSettings? evaluation = null)
    {
        var config = RunKey.Resolve(new RunConfig(new VaeConfig(InputShape: [1, 8, 8], Hidden: [16], LatentDim: 2, Activation: "swish_beta"),
            new TrainingOptions(Epochs: 2, Seed: seed)));
        evaluation ??= new EvaluationSettings();
        var epochs = new[]
        {
            new EpochMetrics(1, loss + 10, loss + 5, loss, 5, 2, 0.25, 0.01),
            new EpochMetrics(2, loss + 1, loss, loss - 4, 4, 2, 0.24, 0.01),
        };
        return new RunRecord(RunRecord.CurrentFormat, RunKey.Compute(config, evaluation), "unit", config, outcome,
            outcome == "completed" ? null : "Training diverged in epoch 3, step 1.", epochs,
            new FinalMetrics(loss, loss - 4, 4, 2, evaluation.NllSamples > 0 ? loss - 1 : null, evaluation.NllSamples > 0 ? evaluation.NllSamples : null,
                loss / (64 * Math.Log(2)), 0.245),
            new Dictionary<string, double[]> { ["encoder.1.beta"] = [1.25], ["decoder.1.beta"] = [0.875] },
            1.5, new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero), evaluation);
    }

    [Fact]
    public void AppendThenReadRoundTrips()
    {
        using var dir = new Sweeps.TempDir();
        var store = new RunStore(dir.Path);
        Assert.False(store.Exists);
        var a = Record(1);
        var b = Record(2, 90.25, evaluation: new EvaluationSettings(100, 50));
        var c = Record(3, outcome: "diverged");
        store.Append(a, Shard.All);
        store.Append(b, Shard.All);
        store.Append(c, new Shard(1, 4));
        Assert.True(store.Exists);
        Assert.Equal(["shard-0-of-1.jsonl", "shard-1-of-4.jsonl"], store.RecordFiles().Select(Path.GetFileName));

        var read = store.ReadValid();
        Assert.Empty(read.Problems);
        Assert.Empty(read.Duplicates);
        Assert.Equal([RunStore.Serialize(a), RunStore.Serialize(b), RunStore.Serialize(c)], read.Records.Select(r => RunStore.Serialize(r.Record)));
        Assert.Equal([1, 2, 1], read.Records.Select(r => r.Line));
        Assert.Equal(new HashSet<string> { a.Key, b.Key, c.Key }, store.Completed());

        // Field by field, for the parts a report reads.
        var back = read.Records[1].Record;
        Assert.Equal(b.Key, back.Key);
        Assert.Equal(b.Config.Model, back.Config.Model);
        Assert.Equal(b.Config.Training, back.Config.Training);
        Assert.Equal(b.Epochs, back.Epochs);
        Assert.Equal(b.Final, back.Final);
        Assert.Equal(b.Evaluation, back.Evaluation);
        Assert.Equal(b.FinishedAt, back.FinishedAt);
        Assert.Equal([1.25], back.ActivationParameters["encoder.1.beta"]);

        // One line per record, nothing else in the folder.
        string[] lines = File.ReadAllLines(store.ShardFile(Shard.All));
        Assert.Equal(2, lines.Length);
        Assert.EndsWith("\n", File.ReadAllText(store.ShardFile(Shard.All)));
        Assert.DoesNotContain(Directory.GetFiles(store.RecordsDirectory), f => f.EndsWith(".tmp", StringComparison.Ordinal));
    }

    [Fact]
    public void AppendAfterAHandEditWithoutAFinalNewlineStillGivesOneRecordPerLine()
    {
        using var dir = new Sweeps.TempDir();
        var store = new RunStore(dir.Path).Create();
        File.WriteAllText(store.ShardFile(Shard.All), RunStore.Serialize(Record(1)));
        store.Append(Record(2), Shard.All);
        Assert.Equal(2, store.ReadAll().Count);
    }

    [Fact]
    public void AnEmptyOrMissingStoreHasNoRecords()
    {
        using var dir = new Sweeps.TempDir();
        Assert.Empty(new RunStore(dir.Sub("none")).Read().Records);
        var store = new RunStore(dir.Path).Create();
        File.WriteAllText(store.ShardFile(Shard.All), "\n\n");
        Assert.Empty(store.ReadValid().Records);
    }

    [Fact]
    public void EveryCorruptionIsReportedWithItsFileAndLine()
    {
        using var dir = new Sweeps.TempDir();
        var store = new RunStore(dir.Path).Create();
        var good = Record(1);
        string goodLine = RunStore.Serialize(good);
        var tampered = RunStore.Serialize(Record(2) with { Key = "0123456789abcdef" });
        var edited = RunStore.Serialize(Record(3)).Replace("\"seed\":3", "\"seed\":4");   // config changed, key not
        var badConfig = RunStore.Serialize(Record(5)).Replace("\"latentDim\":2", "\"latentDim\":0");
        var missingKey = RunStore.Serialize(Record(6)).Replace($"\"key\":\"{Record(6).Key}\",", "");
        var badOutcome = RunStore.Serialize(Record(7)).Replace("\"outcome\":\"completed\"", "\"outcome\":\"finished\"");
        var extraField = RunStore.Serialize(Record(8)).Replace("\"grid\":", "\"colour\":\"red\",\"grid\":");
        string[] lines =
        [
            goodLine,                                          // 1
            "{\"format\": 1, \"key\": \"abc\", \"grid\": \"x\"",  // 2: torn
            "{\"name\": \"something else\", \"value\": 3}",   // 3: foreign object
            goodLine.Replace("\"format\":1", "\"format\":2"), // 4: unknown version
            tampered,                                          // 5: key is not the hash
            "[1, 2, 3]",                                       // 6: not an object
            edited,                                            // 7: config edited
            badConfig,                                         // 8: invalid config
            missingKey,                                        // 9: required field missing
            badOutcome,                                        // 10
            extraField,                                        // 11: unknown field
            "{\"format\": \"one\"}",                           // 12
        ];
        File.WriteAllText(store.ShardFile(new Shard(2, 3)), string.Join("\n", lines) + "\n");
        File.WriteAllText(store.ShardFile(new Shard(0, 3)), "\n" + goodLine.Replace("\"format\":1", "\"format\":7") + "\n");

        var contents = store.Read();
        Assert.Single(contents.Records);
        Assert.Equal(good.Key, contents.Records[0].Record.Key);
        string file0 = store.ShardFile(new Shard(0, 3)), file2 = store.ShardFile(new Shard(2, 3));
        var problems = contents.Problems.ToDictionary(p => (Path.GetFileName(p.File), p.Line), p => p.Message);
        Assert.Equal(12, problems.Count);
        Assert.Contains("record format 7 is not known", problems[("shard-0-of-3.jsonl", 2)]);
        Assert.Contains("not valid JSON", problems[("shard-2-of-3.jsonl", 2)]);
        Assert.Contains("no \"format\" field (its fields: name, value)", problems[("shard-2-of-3.jsonl", 3)]);
        Assert.Contains("record format 2 is not known", problems[("shard-2-of-3.jsonl", 4)]);
        Assert.Contains("key 0123456789abcdef is not the hash", problems[("shard-2-of-3.jsonl", 5)]);
        Assert.Contains("a JSON array, not a run record", problems[("shard-2-of-3.jsonl", 6)]);
        Assert.Contains("is not the hash of the record's configuration", problems[("shard-2-of-3.jsonl", 7)]);
        Assert.Contains("latentDim must be positive", problems[("shard-2-of-3.jsonl", 8)]);
        Assert.Contains("key", problems[("shard-2-of-3.jsonl", 9)]);
        Assert.Contains("outcome 'finished'", problems[("shard-2-of-3.jsonl", 10)]);
        Assert.Contains("colour", problems[("shard-2-of-3.jsonl", 11)]);
        Assert.Contains("\"format\" must be a whole number", problems[("shard-2-of-3.jsonl", 12)]);

        // The throwing readers list the problems with their file and line, and what to do.
        var e = Assert.Throws<RunStoreException>(() => store.Completed());
        Assert.Contains("12 bad record lines", e.Message);
        Assert.Contains($"{file0}, line 2: record format 7", e.Message);
        Assert.Contains($"{file2}, line 5: key 0123456789abcdef", e.Message);
        Assert.Contains("and 2 more", e.Message);
        Assert.Contains("Fix or remove those lines", e.Message);
        Assert.IsAssignableFrom<IOException>(e);
    }

    [Fact]
    public void ARepeatedRecordIsADuplicateAndAConflictingOneIsAProblem()
    {
        using var dir = new Sweeps.TempDir();
        var store = new RunStore(dir.Path).Create();
        var a = Record(1);
        store.Append(a, new Shard(0, 2));
        store.Append(a with { WallSeconds = 99, Grid = "other", FinishedAt = DateTimeOffset.UnixEpoch }, new Shard(1, 2));
        var contents = store.ReadValid();
        Assert.Single(contents.Records);
        var dup = Assert.Single(contents.Duplicates);
        Assert.Equal(2, contents.Records.Count + contents.Duplicates.Count);
        Assert.EndsWith("shard-1-of-2.jsonl", dup.File);

        store.Append(Record(1, loss: 100.50000000000001), new Shard(1, 2));
        var problem = Assert.Single(store.Read().Problems);
        Assert.Equal(2, problem.Line);
        Assert.Contains($"key {a.Key} was already recorded at", problem.Message);
        Assert.Contains("shard-0-of-2.jsonl, line 1", problem.Message);
        Assert.Contains("different result", problem.Message);
    }

    [Fact]
    public void TemporaryAndLockFilesAreNotRecordFiles()
    {
        using var dir = new Sweeps.TempDir();
        var store = new RunStore(dir.Path).Create();
        store.Append(Record(1), Shard.All);
        File.WriteAllText(Path.Combine(store.RecordsDirectory, ".shard-0-of-1.jsonl.123.abc.tmp"), "{torn");
        File.WriteAllText(Path.Combine(store.RecordsDirectory, ".hidden.jsonl"), "{torn");
        File.WriteAllText(Path.Combine(store.RecordsDirectory, "notes.txt"), "not records");
        Assert.Single(store.RecordFiles());
        Assert.Single(store.ReadAll());
    }

    [Fact]
    public void RecordComparisonIgnoresTimingsButNotResults()
    {
        var a = Record(1);
        Assert.Null(RecordComparison.Difference(a, a with { WallSeconds = 7, FinishedAt = DateTimeOffset.UnixEpoch, Grid = "g2",
            Epochs = [.. a.Epochs.Select(e => e with { TrainSeconds = 9, EvalSeconds = 9 })], Final = a.Final! with { SecondsPerEpoch = 9 } }));
        Assert.Contains("epoch 2", RecordComparison.Difference(a, a with { Epochs = [a.Epochs[0], a.Epochs[1] with { TestLoss = 1 }] }));
        Assert.Contains("outcome", RecordComparison.Difference(a, a with { Outcome = "diverged" }));
        Assert.Contains("final", RecordComparison.Difference(a, a with { Final = a.Final! with { TestNll = 3 } }));
        Assert.Contains("encoder.1.beta", RecordComparison.Difference(a, a with
        {
            ActivationParameters = new Dictionary<string, double[]> { ["encoder.1.beta"] = [1.5], ["decoder.1.beta"] = [0.875] },
        }));
        Assert.Contains("keys", RecordComparison.Difference(a, Record(2)));
    }

    [Fact]
    public void LockFileExcludesASecondHolderUntilReleased()
    {
        using var dir = new Sweeps.TempDir();
        string path = dir.Sub(".lock");
        using (LockFile.Acquire(path))
        {
            var e = Assert.Throws<IOException>(() => LockFile.Acquire(path, TimeSpan.FromMilliseconds(200)));
            Assert.Contains("another process", e.Message);
        }
        using (LockFile.Acquire(path, TimeSpan.FromMilliseconds(200))) { }
    }

    [Fact]
    public void AClaimExcludesOthersUntilReleased()
    {
        using var dir = new Sweeps.TempDir();
        var store = new RunStore(dir.Path).Create();
        using (var claim = store.TryClaim("00aa"))
        {
            Assert.NotNull(claim);
            Assert.Null(store.TryClaim("00aa"));
            using var other = store.TryClaim("00bb");   // claims are per run
            Assert.NotNull(other);
        }
        using var again = store.TryClaim("00aa");
        Assert.NotNull(again);
    }

    [Fact]
    public void AClaimOfAKilledProcessIsTakenOver()
    {
        // Another process (python3, with the same flock the runtime uses) holds the claim and is killed with SIGKILL: no
        // code of its own runs, yet the claim is free at once, because the kernel drops a dead process's locks.
        using var dir = new Sweeps.TempDir();
        var store = new RunStore(dir.Path).Create();
        string path = Path.Combine(store.ClaimsDirectory, "00cc.lock");
        Directory.CreateDirectory(store.ClaimsDirectory);
        var start = new System.Diagnostics.ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("import fcntl, sys, time\nf = open(sys.argv[1], 'a')\nfcntl.flock(f, fcntl.LOCK_EX)\nprint('held', flush=True)\ntime.sleep(120)");
        start.ArgumentList.Add(path);
        using var holder = System.Diagnostics.Process.Start(start)!;
        Assert.Equal("held", holder.StandardOutput.ReadLine());
        Assert.Null(store.TryClaim("00cc"));
        holder.Kill();   // SIGKILL on Unix
        holder.WaitForExit();
        using var taken = store.TryClaim("00cc");
        Assert.NotNull(taken);
    }
}
