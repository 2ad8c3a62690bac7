using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Kodosumi.Shared;
using Kodosumi.Shared.Demo;
using Microsoft.Data.Sqlite;

namespace Kodosumi.Bench;

/// <summary>What <see cref="FastDataSet.Make"/> made, kept beside the data set so the results can report it.</summary>
public sealed record FastDataStats(int Executions, int WalExecutions, int Templates, int Users, double Seconds, long DiskBytes);

/// <summary>
/// Large data sets (a million executions) in minutes: a few hundred executions from <see cref="DemoDataGenerator"/> become
/// template databases (page size 512, the fields that differ per execution at known byte offsets), and every execution is a
/// copy of a template's bytes with its fid, user name, agent name and timestamps written over those offsets. 15 % keep their
/// last rows in a <c>-wal</c> a writer left (with its <c>-shm</c>), whose frame checksums are computed again after the patch.
/// Every template is checked once through SQLite itself (rows, integrity, WAL recovery) before it is copied.
/// </summary>
public static class FastDataSet
{
    const double WalShare = 0.15;
    const int UserCount = 300;
    const double SpanDays = 365;
    /// <summary>About one execution in this many carries a result of a megabyte (the generator's usual set: one in 500).</summary>
    const int LargeEvery = 2000;
    const double FilesShare = 0.2;
    const int UserWidth = 40, AgentWidth = 48;
    const string FidMarker = "~~FID~~~~~~~~~~~~~~~~~~~";
    static readonly string UserMarker = "\"~~USER" + new string('~', UserWidth - 8) + "\"";
    static readonly string AgentMarker = "\"~~AGENT" + new string('~', AgentWidth - 9) + "\"";

    static readonly string[] AgentNames =
    [
        "Hymn Creator", "Market Researcher", "SEO Analyzer", "Throughput Test", "Pitch Deck Writer", "Invoice Parser",
        "Contract Reviewer", "Support Triage", "Lead Qualifier", "Code Reviewer", "Release Notes Writer", "Churn Predictor",
        "Meeting Summarizer", "Translation Desk", "Competitor Watch", "Grant Writer", "Data Cleaner", "Forecast Builder",
        "Social Post Planner", "Recruiting Screener", "Legal Research", "Travel Planner", "Tender Analyzer", "Patent Scout",
        "Newsletter Writer", "QA Test Generator", "Price Monitor", "Survey Analyzer", "Onboarding Guide", "Risk Assessor",
    ];

    public static FastDataStats Make(string dataDir, int executions, int seed)
    {
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(dataDir);
        var now = DateTimeOffset.UtcNow;
        var users = WriteAdminDatabase(Path.Combine(dataDir, "admin.db"));
        var templates = BuildTemplates(dataDir + ".templates", seed, now);
        Console.WriteLine($"  {templates.Count} templates checked in {clock.Elapsed.TotalSeconds:F1} s");

        var finished = new Pool(templates.Where(t => t.Final && !t.Large));
        var large = templates.Where(t => t.Final && t.Large).ToArray();
        var walFinal = new Pool(templates.Where(t => t.Final && !t.Large));
        var walOpen = new Pool(templates.Where(t => !t.Final));
        var entryPoints = templates.Max(t => t.EntryPoint) + 1;
        var root = Path.Combine(dataDir, "execution");
        foreach (var u in users) Directory.CreateDirectory(Path.Combine(root, u.Folder));

        // Two writers per core: part of each execution's time is spent waiting in the file system.
        var workers = Environment.ProcessorCount * 2;
        var walCount = 0;
        var done = 0;
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
        {
            var random = new Random(seed * 1000 + w);
            var count = executions / workers + (w < executions % workers ? 1 : 0);
            for (var i = 0; i < count; i++)
            {
                var wal = random.NextDouble() < WalShare;
                // Half of the WAL executions are still open (running, awaiting, starting), half wrote their final status.
                var template = wal
                    ? Pick(random.Next(2) == 0 && !walOpen.Empty ? walOpen : walFinal, random)
                    : large.Length > 0 && random.Next(LargeEvery) == 0 ? large[random.Next(large.Length)] : Pick(finished, random);
                // A few users run most executions, as on a real installation.
                var user = users[(int)(users.Count * Math.Pow(random.NextDouble(), 2.5))];
                // Each name belongs to one of the generator's entry points, so an agent's meta is the same in every execution but for user and fid.
                var agent = AgentNames[(template.EntryPoint + entryPoints * (int)(AgentNames.Length / entryPoints * Math.Pow(random.NextDouble(), 1.5))) % AgentNames.Length];
                var youngest = 60 + template.Duration;
                var start = now.ToUnixTimeMilliseconds() / 1000.0 - (youngest + random.NextDouble() * (SpanDays * 86400 - youngest));
                var fid = Fids.New(DateTimeOffset.FromUnixTimeMilliseconds((long)(start * 1000)), random);
                template.Write(Path.Combine(root, user.Folder, fid), fid, start, user.Name, agent, wal);
                if (wal) Interlocked.Increment(ref walCount);
                if (Interlocked.Increment(ref done) % 50_000 == 0)
                    Console.WriteLine($"  {done:N0} executions, {clock.Elapsed.TotalSeconds:F0} s");
            }
        });
        Directory.Delete(dataDir + ".templates", recursive: true);
        var seconds = clock.Elapsed.TotalSeconds;
        var stats = new FastDataStats(executions, walCount, templates.Count, users.Count, Math.Round(seconds, 1), DiskBytes(dataDir));
        Console.WriteLine($"  made {executions:N0} executions ({walCount:N0} with a WAL) in {seconds:F0} s, {stats.DiskBytes / 1e9:F2} GB on disk");
        return stats;
    }

    /// <summary>
    /// A template, one with files in <c>in/</c> or <c>out/</c> for a fifth of the executions: each file and folder takes a
    /// 4 KB block, and the generator's share of them (four in five) would double the set's size on disk.
    /// </summary>
    static Template Pick(Pool pool, Random random)
    {
        // The status as often as the generator gives it (errors rarely have files: choosing by files alone would skew it).
        var status = pool.All[random.Next(pool.All.Length)].Status;
        var files = random.NextDouble() < FilesShare;
        return pool.ByStatusAndFiles.TryGetValue((status, files), out var matching)
            ? matching[random.Next(matching.Length)]
            : pool.ByStatusAndFiles[(status, !files)][random.Next(pool.ByStatusAndFiles[(status, !files)].Length)];
    }

    sealed class Pool(IEnumerable<Template> templates)
    {
        public Template[] All { get; } = templates.ToArray();
        public Dictionary<(string, bool), Template[]> ByStatusAndFiles { get; } =
            templates.GroupBy(t => (t.Status, t.Files.Length > 0)).ToDictionary(g => g.Key, g => g.ToArray());
        public bool Empty => All.Length == 0;
    }

    sealed record User(string Name, string Folder);

    /// <summary>admin.db as <see cref="DemoDataGenerator"/> writes it (its demo users, so admin/admin signs in), with more users.</summary>
    static List<User> WriteAdminDatabase(string path)
    {
        var all = DemoDataGenerator.Users.ToList();
        var random = new Random(7);
        for (var i = all.Count; i < UserCount; i++)
        {
            var id = new byte[16];
            random.NextBytes(id);
            id[7] = (byte)(0x40 | (id[7] & 0x0f)); // version 4, as uuid4() makes them
            id[8] = (byte)(0x80 | (id[8] & 0x3f));
            all.Add(new DemoUser(new Guid(id), $"user{i:D3}", $"user{i:D3}", i % 50 == 0));
        }
        DemoDataGenerator.WriteAdminDatabase(path, all);
        return all.Select(u => new User(u.Name, u.Id.ToString("D"))).ToList();
    }

    /// <summary>Executions from the generator (one set over a month, one over the last hours for runs not finished) made into templates.</summary>
    static List<Template> BuildTemplates(string work, int seed, DateTimeOffset now)
    {
        if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
        var generated = Path.Combine(work, "generated");
        new DemoDataGenerator(new DemoOptions { Executions = 300, Seed = seed, Now = now, LargeResultEvery = 100 }).Generate(Path.Combine(generated, "a"));
        new DemoDataGenerator(new DemoOptions { Executions = 200, Seed = seed + 1, Now = now, Span = TimeSpan.FromHours(5), LargeResultEvery = 0 }).Generate(Path.Combine(generated, "b"));
        var scratch = Path.Combine(work, "scratch");
        var templates = new List<Template>();
        var entryPoints = new List<string>();
        var n = 0;
        foreach (var db in Directory.EnumerateFiles(generated, ExecutionLayout.Database, SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var template = Template.From(Path.GetDirectoryName(db)!, Path.Combine(scratch, (n++).ToString(CultureInfo.InvariantCulture)), entryPoints);
            template.Verify(Path.Combine(scratch, "verify"));
            templates.Add(template);
        }
        return templates;
    }

    sealed record Event(double Timestamp, string Kind, string Message);

    sealed record Patch(int Offset, int Event); // Event -1: fid, -2: user, -3: agent

    sealed class Template
    {
        public required Event[] Events { get; init; }
        public required bool Final { get; init; }
        public required string Status { get; init; }
        public required bool Large { get; init; }
        public double Duration => Events[^1].Timestamp - Events[0].Timestamp;
        /// <summary>Every row in the database file, as a closed writer leaves it.</summary>
        public required Image Closed { get; init; }
        /// <summary>The last rows in a <c>-wal</c> a writer left (null when the execution has a single row).</summary>
        public required Image? Wal { get; init; }
        public required (string Path, byte[] Bytes)[] Files { get; init; }
        /// <summary>Rows in the database file of <see cref="Wal"/>; the rest are in its <c>-wal</c>.</summary>
        public int WalSplit { get; init; }

        /// <summary>Which of the generator's entry points the template runs (0 for one without a meta).</summary>
        public int EntryPoint { get; init; }

        public static Template From(string generatedDir, string scratch, List<string> entryPoints)
        {
            var entryPoint = 0;
            var events = new List<Event>();
            using (var c = new SqliteConnection($"Data Source={Path.Combine(generatedDir, ExecutionLayout.Database)};Mode=ReadOnly;Pooling=False"))
            {
                c.Open();
                using var cmd = c.CreateCommand();
                cmd.CommandText = "SELECT timestamp, kind, message FROM monitor ORDER BY id";
                using var r = cmd.ExecuteReader();
                while (r.Read()) events.Add(new Event(r.GetDouble(0), r.GetString(1), r.GetString(2)));
            }
            var status = events.Last(e => e.Kind == "status").Message;
            for (var i = 0; i < events.Count; i++)
            {
                if (events[i].Kind != "meta") continue;
                var meta = JsonDocument.Parse(events[i].Message).RootElement;
                if (meta.TryGetProperty("dict", out var d)) meta = d;
                var entry = meta.GetProperty("entry_point").GetString()!;
                if (!entryPoints.Contains(entry)) entryPoints.Add(entry);
                entryPoint = entryPoints.IndexOf(entry);
                var message = events[i].Message.Replace($"\"fid\":\"{meta.GetProperty("fid").GetString()}\"", $"\"fid\":\"{FidMarker}\"", StringComparison.Ordinal)
                    .Replace($"\"username\":\"{meta.GetProperty("username").GetString()}\"", "\"username\":" + UserMarker, StringComparison.Ordinal);
                if (meta.GetProperty("summary").GetString() is { } summary)
                    message = message.Replace($"\"summary\":\"{summary}\"", "\"summary\":" + AgentMarker, StringComparison.Ordinal);
                events[i] = events[i] with { Message = message };
            }
            var files = new List<(string, byte[])>();
            foreach (var sub in new[] { ExecutionLayout.Inputs, ExecutionLayout.Outputs })
            {
                var dir = Path.Combine(generatedDir, sub);
                if (Directory.Exists(dir))
                    files.AddRange(Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
                        .Select(f => (Path.GetRelativePath(generatedDir, f), File.ReadAllBytes(f))));
            }
            var all = events.ToArray();
            // The writer's last batch (up to three rows) is what it left in the -wal.
            var split = Math.Max(0, all.Length - Math.Min(3, all.Length));
            return new Template
            {
                Events = all,
                EntryPoint = entryPoint,
                Final = status is "finished" or "error",
                Status = status,
                Large = events.Any(e => e.Message.Length > 100_000),
                Closed = Image.Build(Path.Combine(scratch, "closed"), all, all.Length),
                Wal = Image.Build(Path.Combine(scratch, "wal"), all, split),
                Files = files.ToArray(),
                WalSplit = split,
            };
        }

        /// <summary>One execution: its folder, database (and <c>-wal</c>/<c>-shm</c>), files and the folder's and files' times.</summary>
        public void Write(string dir, string fid, double start, string user, string agent, bool wal)
        {
            var image = wal ? Wal! : Closed;
            Directory.CreateDirectory(dir);
            var db = Path.Combine(dir, ExecutionLayout.Database);
            var (main, log, shm) = image.Patched(this, fid, start, user, agent);
            var end = Time(start, Events.Length - 1);
            foreach (var (path, bytes) in Files)
            {
                var target = Path.Combine(dir, path);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.WriteAllBytes(target, bytes);
                File.SetLastWriteTimeUtc(target, DateTime.UnixEpoch.AddSeconds(path.StartsWith(ExecutionLayout.Inputs, StringComparison.Ordinal) ? start : end));
            }
            File.WriteAllBytes(db, main);
            File.SetLastWriteTimeUtc(db, DateTime.UnixEpoch.AddSeconds(wal ? Time(start, Math.Max(0, WalSplit - 1)) : end));
            if (log is not null)
            {
                File.WriteAllBytes(db + "-wal", log);
                File.WriteAllBytes(db + "-shm", shm!);
                File.SetLastWriteTimeUtc(db + "-wal", DateTime.UnixEpoch.AddSeconds(end));
                File.SetLastWriteTimeUtc(db + "-shm", DateTime.UnixEpoch.AddSeconds(end));
            }
            Directory.SetLastWriteTimeUtc(dir, DateTime.UnixEpoch.AddSeconds(end));
        }

        public double Time(double start, int i) => start + (Events[i].Timestamp - Events[0].Timestamp);

        /// <summary>
        /// Patches both images with made-up values, then reads them through SQLite: every row as expected, the integrity
        /// check, and for the WAL image a row appended by a writer (chained from the -shm's checksum) and a recovery
        /// from the -wal alone (which drops frames whose checksums are wrong).
        /// </summary>
        public void Verify(string scratch)
        {
            var random = new Random(Events.Length);
            foreach (var image in new[] { Closed, Wal, Closed, Wal, Closed, Wal }.OfType<Image>())
            {
                if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
                Directory.CreateDirectory(scratch);
                var fid = Fids.New(DateTimeOffset.UtcNow, random);
                // Values unlike the template's in every byte, three times over.
                var start = 1_700_000_000 + random.NextDouble() * 1e8;
                var db = Path.Combine(scratch, ExecutionLayout.Database);
                var (main, log, shm) = image.Patched(this, fid, start, "verify-user", "Verify Agent");
                File.WriteAllBytes(db, main);
                if (log is not null)
                {
                    File.WriteAllBytes(db + "-wal", log);
                    File.WriteAllBytes(db + "-shm", shm!);
                }
                using (var c = new SqliteConnection($"Data Source={db};Pooling=False"))
                {
                    c.Open();
                    Check(c, fid, start, Events.Length);
                    if (Scalar(c, "PRAGMA integrity_check") != "ok") throw new InvalidDataException("template fails the integrity check");
                    if (log is null) continue;
                    Exec(c, "PRAGMA wal_autocheckpoint=0; INSERT INTO monitor (timestamp, kind, message) VALUES (1, 'stdout', 'appended')");
                    var recovered = Path.Combine(scratch, "recovered");
                    Directory.CreateDirectory(recovered);
                    File.Copy(db, Path.Combine(recovered, ExecutionLayout.Database));
                    File.Copy(db + "-wal", Path.Combine(recovered, ExecutionLayout.Database + "-wal"));
                    using var r = new SqliteConnection($"Data Source={Path.Combine(recovered, ExecutionLayout.Database)};Pooling=False");
                    r.Open();
                    Check(r, fid, start, Events.Length);
                    if (Scalar(r, "SELECT count(*) FROM monitor") != (Events.Length + 1).ToString(CultureInfo.InvariantCulture))
                        throw new InvalidDataException("the row appended after the patch was lost in the WAL's recovery");
                }
            }
        }

        void Check(SqliteConnection c, string fid, double start, int rows)
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT timestamp, kind, message FROM monitor ORDER BY id LIMIT $n";
            cmd.Parameters.AddWithValue("$n", rows);
            using var r = cmd.ExecuteReader();
            var i = 0;
            for (; r.Read(); i++)
            {
                var expected = Events[i].Kind == "meta"
                    ? Events[i].Message.Replace(FidMarker, fid, StringComparison.Ordinal)
                        .Replace(UserMarker, Pad("verify-user", UserWidth), StringComparison.Ordinal)
                        .Replace(AgentMarker, Pad("Verify Agent", AgentWidth), StringComparison.Ordinal)
                    : Events[i].Message;
                if (r.GetDouble(0) != Time(start, i) || r.GetString(1) != Events[i].Kind || r.GetString(2) != expected)
                    throw new InvalidDataException($"row {i + 1} of a patched template differs");
                if (Events[i].Kind == "meta")
                {
                    var meta = JsonDocument.Parse(r.GetString(2)).RootElement;
                    if (meta.TryGetProperty("dict", out var d)) meta = d;
                    if (meta.GetProperty("username").GetString() != "verify-user" || meta.GetProperty("fid").GetString() != fid)
                        throw new InvalidDataException("the patched meta does not parse to the patched values");
                }
            }
            if (i != rows) throw new InvalidDataException($"a patched template has {i} rows, not {rows}");
        }
    }

    /// <summary>A template's bytes (database, and <c>-wal</c>/<c>-shm</c> if a writer left them) and where the varying fields are.</summary>
    sealed class Image
    {
        public required byte[] Main { get; init; }
        public required byte[]? Log { get; init; }
        public required byte[]? Shm { get; init; }
        public required Patch[] MainPatches { get; init; }
        public required Patch[] LogPatches { get; init; }

        /// <summary>
        /// The rows written twice, with other timestamps and markers the second time (SQLite lays out equal-sized records
        /// the same way): a place is patched only if it holds the field in both. A stale copy of a row in a page's unused
        /// space can end where a cell now begins, and its last byte then matches by chance in one of them.
        /// </summary>
        public static Image Build(string dir, Event[] events, int split)
        {
            var (main, log, shm) = Write(dir + "-a", events, split);
            var other = events.Select(e => e with { Timestamp = e.Timestamp + 1234.567891, Message = Other(e.Message) }).ToArray();
            var (main2, log2, _) = Write(dir + "-b", other, split);
            if (main.Length != main2.Length || log?.Length != log2?.Length) throw new InvalidDataException("the two writes of a template differ in size");
            var image = new Image
            {
                Main = main, Log = log, Shm = shm,
                MainPatches = Find(main, events, second: false).Intersect(Find(main2, other, second: true)).ToArray(),
                LogPatches = log is null ? [] : Find(log, events, second: false).Intersect(Find(log2!, other, second: true)).ToArray(),
            };
            for (var i = 0; i < events.Length; i++)
                if (!image.MainPatches.Concat(image.LogPatches).Any(p => p.Event == i))
                    throw new InvalidDataException($"timestamp of row {i + 1} not found in the template's bytes");
            return image;
        }

        static string Other(string message) => message.Replace(FidMarker, Second(FidMarker), StringComparison.Ordinal)
            .Replace(UserMarker, Second(UserMarker), StringComparison.Ordinal).Replace(AgentMarker, Second(AgentMarker), StringComparison.Ordinal);

        static string Second(string marker) => marker.Replace('~', '^');

        /// <summary>Writes the rows as Kodosumi's writer would: <paramref name="split"/> rows, closed (checkpointed), then the rest in autocommit, left in the -wal.</summary>
        static (byte[] Main, byte[]? Log, byte[]? Shm) Write(string dir, Event[] events, int split)
        {
            Directory.CreateDirectory(dir);
            var db = Path.Combine(dir, ExecutionLayout.Database);
            using (var c = new SqliteConnection($"Data Source={db};Pooling=False"))
            {
                c.Open();
                // Small pages keep a million executions in the page cache; set before WAL mode, which fixes it.
                Exec(c, "PRAGMA page_size=512; PRAGMA journal_mode=wal; CREATE TABLE IF NOT EXISTS monitor (id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp REAL NOT NULL, kind TEXT NOT NULL, message TEXT NOT NULL)");
                using var tx = c.BeginTransaction();
                foreach (var e in events.Take(split)) Insert(c, e);
                tx.Commit();
            }
            byte[]? log = null, shm = null, main = null;
            if (split < events.Length)
            {
                using var c = new SqliteConnection($"Data Source={db};Pooling=False");
                c.Open();
                Exec(c, "PRAGMA wal_autocheckpoint=0");
                foreach (var e in events.Skip(split)) Insert(c, e);
                // Copied while the writer holds the database open (its close would checkpoint): what a writer that never closed leaves.
                log = File.ReadAllBytes(db + "-wal");
                shm = File.ReadAllBytes(db + "-shm");
                main = File.ReadAllBytes(db);
            }
            return (main ?? File.ReadAllBytes(db), log, shm);
        }

        static void Insert(SqliteConnection c, Event e)
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "INSERT INTO monitor (timestamp, kind, message) VALUES ($t, $k, $m)";
            cmd.Parameters.AddWithValue("$t", e.Timestamp);
            cmd.Parameters.AddWithValue("$k", e.Kind);
            cmd.Parameters.AddWithValue("$m", e.Message);
            cmd.ExecuteNonQuery();
        }

        /// <summary>Every place of every timestamp (8 bytes, big-endian IEEE, as SQLite stores REAL) and of each marker.</summary>
        static Patch[] Find(byte[] bytes, Event[] events, bool second)
        {
            var found = new List<Patch>();
            void All(ReadOnlySpan<byte> needle, int tag)
            {
                for (var at = 0; at <= bytes.Length - needle.Length;)
                {
                    var i = bytes.AsSpan(at).IndexOf(needle);
                    if (i < 0) break;
                    found.Add(new Patch(at + i, tag));
                    at += i + needle.Length;
                }
            }
            Span<byte> t = stackalloc byte[8];
            for (var i = 0; i < events.Length; i++)
            {
                BinaryPrimitives.WriteDoubleBigEndian(t, events[i].Timestamp);
                All(t, i);
            }
            All(Encoding.ASCII.GetBytes(second ? Second(FidMarker) : FidMarker), -1);
            All(Encoding.ASCII.GetBytes(second ? Second(UserMarker) : UserMarker), -2);
            All(Encoding.ASCII.GetBytes(second ? Second(AgentMarker) : AgentMarker), -3);
            return found.ToArray();
        }

        public (byte[] Main, byte[]? Log, byte[]? Shm) Patched(Template t, string fid, double start, string user, string agent)
        {
            var fidBytes = Encoding.ASCII.GetBytes(fid);
            var userBytes = Encoding.UTF8.GetBytes(Pad(user, UserWidth));
            var agentBytes = Encoding.UTF8.GetBytes(Pad(agent, AgentWidth));
            byte[] Apply(byte[] source, Patch[] patches)
            {
                var copy = (byte[])source.Clone();
                foreach (var p in patches)
                {
                    var at = copy.AsSpan(p.Offset);
                    switch (p.Event)
                    {
                        case -1: fidBytes.CopyTo(at); break;
                        case -2: userBytes.CopyTo(at); break;
                        case -3: agentBytes.CopyTo(at); break;
                        default: BinaryPrimitives.WriteDoubleBigEndian(at, t.Time(start, p.Event)); break;
                    }
                }
                return copy;
            }
            var main = Apply(Main, MainPatches);
            if (Log is null) return (main, null, null);
            var log = Apply(Log, LogPatches);
            var last = WalChecksums(log);
            var shm = (byte[])Shm!.Clone();
            ShmHeader(shm, last);
            return (main, log, shm);
        }
    }

    /// <summary>The JSON string, then spaces (whitespace between tokens) to the marker's width.</summary>
    static string Pad(string value, int width)
    {
        var quoted = JsonSerializer.Serialize(value);
        if (Encoding.UTF8.GetByteCount(quoted) > width) throw new ArgumentException($"'{value}' is longer than its field");
        return quoted + new string(' ', width - Encoding.UTF8.GetByteCount(quoted));
    }

    /// <summary>
    /// Recomputes the cumulative checksum of every frame of a WAL (sqlite.org/fileformat2.html#walformat), as the frames'
    /// pages changed; returns the last frame's checksum, which the wal-index header holds too.
    /// </summary>
    static (uint, uint) WalChecksums(byte[] wal)
    {
        var pageSize = (int)BinaryPrimitives.ReadUInt32BigEndian(wal.AsSpan(8));
        var bigEndian = (BinaryPrimitives.ReadUInt32BigEndian(wal) & 1) == 1;
        var s1 = BinaryPrimitives.ReadUInt32BigEndian(wal.AsSpan(24));
        var s2 = BinaryPrimitives.ReadUInt32BigEndian(wal.AsSpan(28));
        for (var frame = 32; frame + 24 + pageSize <= wal.Length; frame += 24 + pageSize)
        {
            Sum(wal.AsSpan(frame, 8), bigEndian, ref s1, ref s2);
            Sum(wal.AsSpan(frame + 24, pageSize), bigEndian, ref s1, ref s2);
            BinaryPrimitives.WriteUInt32BigEndian(wal.AsSpan(frame + 16), s1);
            BinaryPrimitives.WriteUInt32BigEndian(wal.AsSpan(frame + 20), s2);
        }
        return (s1, s2);
    }

    static void Sum(ReadOnlySpan<byte> data, bool bigEndian, ref uint s1, ref uint s2)
    {
        for (var i = 0; i < data.Length; i += 8)
        {
            var a = bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(data[i..]) : BinaryPrimitives.ReadUInt32LittleEndian(data[i..]);
            var b = bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(data[(i + 4)..]) : BinaryPrimitives.ReadUInt32LittleEndian(data[(i + 4)..]);
            s1 += a + s2;
            s2 += b + s1;
        }
    }

    /// <summary>The wal-index header (two copies of 48 bytes, native order): the last frame's checksum, then the header's own.</summary>
    static void ShmHeader(byte[] shm, (uint, uint) lastFrame)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("the -shm header is written in little-endian order");
        for (var copy = 0; copy < 96; copy += 48)
        {
            var header = shm.AsSpan(copy, 48);
            BinaryPrimitives.WriteUInt32LittleEndian(header[24..], lastFrame.Item1);
            BinaryPrimitives.WriteUInt32LittleEndian(header[28..], lastFrame.Item2);
            uint s1 = 0, s2 = 0;
            Sum(header[..40], bigEndian: false, ref s1, ref s2);
            BinaryPrimitives.WriteUInt32LittleEndian(header[40..], s1);
            BinaryPrimitives.WriteUInt32LittleEndian(header[44..], s2);
        }
    }

    static long DiskBytes(string dir)
    {
        // Blocks allocated, as du counts them: small files take a whole block each.
        var du = Process.Start(new ProcessStartInfo("du", ["-s", "-B1", dir]) { RedirectStandardOutput = true })!;
        var line = du.StandardOutput.ReadToEnd();
        du.WaitForExit();
        return long.Parse(line.Split('\t')[0], CultureInfo.InvariantCulture);
    }

    static void Exec(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    static string? Scalar(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToString(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
    }
}
