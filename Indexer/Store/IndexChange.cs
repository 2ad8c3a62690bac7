using Kodosumi.Shared.Model;

namespace Kodosumi.Indexer.Store;

/// <summary>One execution's change to the index, written to LiteDB and then applied to the catalog.</summary>
internal abstract record IndexChange(string Fid);

/// <summary>A new or refolded summary with the error events of the rows it folded.</summary>
/// <param name="Refolded">The source was recreated: the execution's earlier error events are dropped first.</param>
internal sealed record UpsertExecution(ExecutionSummary Summary, IReadOnlyList<ErrorEvent> NewErrors, bool Refolded)
    : IndexChange(Summary.Fid)
{
    /// <summary>Only the stamp moved (the folder's own time); nothing was read or folded.</summary>
    public bool Restamp { get; init; }
}

/// <summary>The execution folder is gone.</summary>
internal sealed record RemoveExecution(string Fid) : IndexChange(Fid);
