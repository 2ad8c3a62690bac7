using System.IO.Enumeration;
using Kodosumi.Shared;

namespace Kodosumi.Indexer.Sources;

/// <summary>
/// The execution tree as the last scans listed it, one listing per user folder. A user folder whose own time has not
/// moved since its listing has the same execution folders (an execution added, removed or renamed moves it), so its
/// listing is reused without reading the folder again; unless its time was within the racy window of that listing,
/// where one more change may not have moved it, or the listing is older than <c>relistAfter</c>, the bound on how long
/// a file system whose folder times cannot be trusted can hide an execution.
/// </summary>
internal sealed class ExecutionTree(string root, TimeSpan relistAfter)
{
    readonly Dictionary<string, UserListing> _users = new(StringComparer.Ordinal);
    /// <summary>The listing a relisting replaced, cleared and refilled by the next one, so a busy user folder's relisting allocates no large dictionary.</summary>
    Dictionary<string, ExecutionFolder>? _spare;

    /// <summary>Execution folders listed, over every user.</summary>
    public int Count { get; private set; }

    /// <summary>Every execution folder of the last <see cref="Refresh"/>.</summary>
    public IEnumerable<ExecutionFolder> Folders => _users.Values.SelectMany(user => user.Folders.Values);

    /// <summary>
    /// Brings the listing up to date: lists the user folders that are new, have changed or cannot be trusted, reuses
    /// the others' listings, and drops users whose folder is gone. True when a user folder was listed again or dropped:
    /// otherwise no execution came or went.
    /// </summary>
    public bool Refresh()
    {
        var listedAt = DateTime.UtcNow.Ticks;
        // Each user folder's time is read by the root's listing, so before that folder is listed: whatever changes
        // after it moves it for the next refresh.
        var present = UserFolders();
        var gone = _users.Keys.Where(user => !present.ContainsKey(user)).ToList();
        foreach (var user in gone) _users.Remove(user);
        var changed = gone.Count > 0;
        foreach (var (user, folderTicks) in present)
        {
            if (_users.TryGetValue(user, out var listing) && listing.StillHolds(folderTicks, listedAt, relistAfter)) continue;
            _users[user] = List(user, folderTicks, listedAt, listing);
            changed = true;
        }
        Count = _users.Values.Sum(user => user.Folders.Count);
        return changed;
    }

    /// <summary>Whether the last <see cref="Refresh"/> found <paramref name="fid"/>; <paramref name="user"/>'s folder is looked in first.</summary>
    public bool Contains(string fid, string? user) =>
        (user is not null && _users.TryGetValue(user, out var listing) && listing.Folders.ContainsKey(fid)) || InAnyUser(fid);

    /// <summary>A method of its own: the lambda's closure would be allocated for every call, those found at once included.</summary>
    bool InAnyUser(string fid) => _users.Values.Any(listing => listing.Folders.ContainsKey(fid));

    /// <summary>The root's visible user folders with their own times; a missing or unreadable root has none.</summary>
    Dictionary<string, long> UserFolders()
    {
        var users = new Dictionary<string, long>(StringComparer.Ordinal);
        try
        {
            var entries = new FileSystemEnumerable<(string Name, long Ticks)>(root,
                (ref FileSystemEntry entry) => (entry.FileName.ToString(), entry.LastWriteTimeUtc.UtcTicks), AllEntries)
            {
                ShouldIncludePredicate = (ref FileSystemEntry entry) => entry.IsDirectory && !ExecutionLayout.IsHidden(entry.FileName),
            };
            foreach (var (name, ticks) in entries) users[name] = ticks;
        }
        catch (Exception e) when (e is DirectoryNotFoundException or UnauthorizedAccessException or IOException)
        {
            users.Clear();
        }
        return users;
    }

    /// <summary>
    /// Lists one user folder; a folder the last listing held for this user is that record again, so a listing leaves
    /// no new records to reach gen 2. A folder that cannot be listed to the end lists none, and is listed again next time.
    /// </summary>
    UserListing List(string user, long folderTicks, long listedAt, UserListing? before)
    {
        var folders = _spare ?? new Dictionary<string, ExecutionFolder>(before?.Folders.Count ?? 0, StringComparer.Ordinal);
        _spare = before?.Folders;
        folders.Clear();
        var known = before?.Folders.GetAlternateLookup<ReadOnlySpan<char>>();
        try
        {
            var entries = new FileSystemEnumerable<ExecutionFolder>(Path.Join(root, user), (ref FileSystemEntry entry) =>
                known is { } lookup && lookup.TryGetValue(entry.FileName, out var same) ? same : new ExecutionFolder(root, user, entry.FileName.ToString()),
                AllEntries)
            {
                ShouldIncludePredicate = (ref FileSystemEntry entry) => entry.IsDirectory && !ExecutionLayout.IsHidden(entry.FileName),
            };
            foreach (var folder in entries) folders[folder.Fid] = folder;
        }
        catch (Exception e) when (e is DirectoryNotFoundException or UnauthorizedAccessException or IOException)
        {
            folders.Clear();
            folderTicks = UserListing.Untrusted;
        }
        return new UserListing(folderTicks, listedAt, folders);
    }

    /// <summary>Hidden entries too (they are filtered by name), errors thrown.</summary>
    static readonly EnumerationOptions AllEntries = new() { AttributesToSkip = 0, IgnoreInaccessible = false };

    /// <summary>One user folder's execution folders, by fid, as listed when its own time was <see cref="FolderTicks"/>.</summary>
    sealed record UserListing(long FolderTicks, long ListedAtTicks, Dictionary<string, ExecutionFolder> Folders)
    {
        /// <summary>A folder time no folder has: the listing is never reused.</summary>
        public const long Untrusted = long.MinValue;

        /// <summary>True when the folder's time is the one listed, that time had settled before the listing, and the listing is recent enough.</summary>
        public bool StillHolds(long folderTicks, long now, TimeSpan relistAfter) =>
            FolderTicks != Untrusted && folderTicks == FolderTicks
            && FolderTicks < ListedAtTicks - FolderLook.RacyWindow.Ticks
            && now - ListedAtTicks < relistAfter.Ticks;
    }
}
