using System.Collections.Immutable;
using Kodosumi.Shared;
using Kodosumi.Shared.Model;

namespace Kodosumi.Indexer.Store;

/// <summary>
/// The orders the dashboard reads for one set of executions (every one, or one user's own) at one version:
/// newest first, error events newest first, runtimes ascending (overall and per agent, for exact percentiles),
/// and the working runs by their latest event (the only ones that can stall).
/// </summary>
public sealed record CatalogScope(
    ChunkedOrder<ExecutionSummary> NewestFirst,
    ChunkedOrder<ErrorRef> ErrorsNewestFirst,
    ChunkedOrder<double> Runtimes,
    ImmutableDictionary<string, ChunkedOrder<double>> RuntimesByAgent,
    ChunkedOrder<ExecutionSummary> WorkingBySilence)
{
    public static readonly IComparer<ExecutionSummary> Newest = Comparer<ExecutionSummary>.Create((a, b) =>
        b.StartTime.CompareTo(a.StartTime) is var c and not 0 ? c : string.CompareOrdinal(b.Fid, a.Fid));

    public static readonly IComparer<ErrorRef> NewestError = Comparer<ErrorRef>.Create((a, b) =>
        b.Timestamp.CompareTo(a.Timestamp) is var c and not 0 ? c
        : string.CompareOrdinal(b.Fid, a.Fid) is var f and not 0 ? f
        : b.EventId.CompareTo(a.EventId));

    /// <summary>Longest silent first; a run without a usable latest event is never stalled, so it sorts last.</summary>
    public static readonly IComparer<ExecutionSummary> Silence = Comparer<ExecutionSummary>.Create((a, b) =>
        LastEvent(a).CompareTo(LastEvent(b)) is var c and not 0 ? c : string.CompareOrdinal(a.Fid, b.Fid));

    public static readonly CatalogScope Empty = new(
        ChunkedOrder<ExecutionSummary>.Empty(Newest), ChunkedOrder<ErrorRef>.Empty(NewestError), ChunkedOrder<double>.Empty(Comparer<double>.Default),
        ImmutableDictionary<string, ChunkedOrder<double>>.Empty.WithComparers(StringComparer.Ordinal), ChunkedOrder<ExecutionSummary>.Empty(Silence));

    /// <summary>The latest event time that <see cref="WorkingBySilence"/> orders by.</summary>
    public static double LastEvent(ExecutionSummary s) => s.LastTimestamp is { } t && !double.IsNaN(t) ? t : double.PositiveInfinity;

    public static bool IsWorking(ExecutionSummary s) => ExecutionStatus.IsWorking(s.Status);

    /// <summary>
    /// Every execution's scope and each user's own, from one sort per order: a user's part of a sorted order, taken
    /// in that order, is sorted too (so is an agent's part of the runtimes). The sorts, and every execution's scope
    /// beside the users' ones, are made in parallel: the load of the index waits for them.
    /// </summary>
    public static (CatalogScope All, ImmutableDictionary<string, CatalogScope> ByUser) Build(
        IEnumerable<ExecutionSummary> executions, IEnumerable<ErrorRef> errors)
    {
        var newest = executions.ToArray();
        var newestErrors = errors.ToArray();
        var timed = Array.FindAll(newest, s => s.Runtime is not null);
        Parallel.Invoke(
            () => Array.Sort(newest, Newest),
            () => Array.Sort(newestErrors, NewestError),
            () => Array.Sort(Array.ConvertAll(timed, s => s.Runtime!.Value), timed));

        CatalogScope all = Empty;
        ImmutableDictionary<string, CatalogScope> byUser = ImmutableDictionary<string, CatalogScope>.Empty;
        Parallel.Invoke(
            () => all = OfSorted(newest, newestErrors, timed),
            () => byUser = ByUser(newest, newestErrors, timed));
        return (all, byUser);
    }

    static ImmutableDictionary<string, CatalogScope> ByUser(ExecutionSummary[] newest, ErrorRef[] newestErrors, ExecutionSummary[] byRuntime)
    {
        var executionsByUser = newest.ToLookup(s => s.UserId, StringComparer.OrdinalIgnoreCase);
        var errorsByUser = newestErrors.ToLookup(e => e.UserId, StringComparer.OrdinalIgnoreCase);
        var timedByUser = byRuntime.ToLookup(s => s.UserId, StringComparer.OrdinalIgnoreCase);
        return executionsByUser.Select(g => g.Key).Concat(errorsByUser.Select(g => g.Key)).Distinct(StringComparer.OrdinalIgnoreCase)
            .ToImmutableDictionary(user => user,
                user => OfSorted([.. executionsByUser[user]], [.. errorsByUser[user]], [.. timedByUser[user]]), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>A scope of executions newest first, error events newest first and the executions with a runtime by runtime.</summary>
    static CatalogScope OfSorted(ExecutionSummary[] newest, ErrorRef[] newestErrors, ExecutionSummary[] byRuntime)
    {
        var working = Array.FindAll(newest, IsWorking);
        Array.Sort(working, Silence);
        return new(ChunkedOrder<ExecutionSummary>.OfSorted(newest, Newest),
            ChunkedOrder<ErrorRef>.OfSorted(newestErrors, NewestError),
            ChunkedOrder<double>.OfSorted(Array.ConvertAll(byRuntime, s => s.Runtime!.Value), Comparer<double>.Default),
            byRuntime.GroupBy(s => s.AgentName, StringComparer.Ordinal).ToImmutableDictionary(g => g.Key,
                g => ChunkedOrder<double>.OfSorted(g.Select(s => s.Runtime!.Value).ToArray(), Comparer<double>.Default), StringComparer.Ordinal),
            ChunkedOrder<ExecutionSummary>.OfSorted(working, Silence));
    }

    /// <summary>This scope with <paramref name="edits"/> applied: only the orders and chunks they touch are copied.</summary>
    public CatalogScope With(ScopeEdits edits)
    {
        var byAgent = RuntimesByAgent;
        foreach (var (agent, runtimeEdits) in edits.RuntimesByAgent)
        {
            var order = byAgent.GetValueOrDefault(agent, Empty.Runtimes).With(runtimeEdits);
            byAgent = order.Count == 0 ? byAgent.Remove(agent) : byAgent.SetItem(agent, order);
        }
        return new CatalogScope(NewestFirst.With(edits.Executions), ErrorsNewestFirst.With(edits.Errors), Runtimes.With(edits.Runtimes), byAgent,
            WorkingBySilence.With(edits.Working));
    }
}

/// <summary>The edits one batch makes to a <see cref="CatalogScope"/>, gathered in order.</summary>
public sealed class ScopeEdits
{
    public List<OrderEdit<ExecutionSummary>> Executions { get; } = [];
    public List<OrderEdit<ErrorRef>> Errors { get; } = [];
    public List<OrderEdit<double>> Runtimes { get; } = [];
    public Dictionary<string, List<OrderEdit<double>>> RuntimesByAgent { get; } = new(StringComparer.Ordinal);
    public List<OrderEdit<ExecutionSummary>> Working { get; } = [];

    /// <summary><paramref name="previous"/> (as stored) gives way to <paramref name="next"/>; either may be missing.</summary>
    public void Replace(ExecutionSummary? previous, ExecutionSummary? next)
    {
        if (previous is not null) Executions.Add(new(previous, false));
        if (next is not null) Executions.Add(new(next, true));
        var sameRuntime = previous is not null && next is not null && Equals(previous.Runtime, next.Runtime)
                          && string.Equals(previous.AgentName, next.AgentName, StringComparison.Ordinal);
        if (!sameRuntime)
        {
            if (previous?.Runtime is { } before) Runtime(previous.AgentName, new(before, false));
            if (next?.Runtime is { } after) Runtime(next.AgentName, new(after, true));
        }
        if (previous is not null && CatalogScope.IsWorking(previous)) Working.Add(new(previous, false));
        if (next is not null && CatalogScope.IsWorking(next)) Working.Add(new(next, true));
    }

    void Runtime(string agent, OrderEdit<double> edit)
    {
        Runtimes.Add(edit);
        if (!RuntimesByAgent.TryGetValue(agent, out var list)) RuntimesByAgent[agent] = list = [];
        list.Add(edit);
    }
}

/// <summary>One batch's edits to every execution's scope and to the scopes of the users it touches.</summary>
public sealed class CatalogEdits
{
    readonly ScopeEdits _all = new();
    readonly Dictionary<string, ScopeEdits> _byUser = new(StringComparer.OrdinalIgnoreCase);

    public void Replace(ExecutionSummary? previous, ExecutionSummary? next)
    {
        _all.Replace(previous, next);
        if (previous is not null && next is not null && string.Equals(previous.UserId, next.UserId, StringComparison.OrdinalIgnoreCase))
        {
            Of(next.UserId).Replace(previous, next);
            return;
        }
        if (previous is not null) Of(previous.UserId).Replace(previous, null);
        if (next is not null) Of(next.UserId).Replace(null, next);
    }

    public void Errors(IEnumerable<ErrorRef> errors, bool added)
    {
        foreach (var error in errors)
        {
            _all.Errors.Add(new(error, added));
            Of(error.UserId).Errors.Add(new(error, added));
        }
    }

    ScopeEdits Of(string userId)
    {
        if (!_byUser.TryGetValue(userId, out var edits)) _byUser[userId] = edits = new ScopeEdits();
        return edits;
    }

    /// <summary>The scopes with these edits; a user left without executions or error events is dropped.</summary>
    public (CatalogScope All, ImmutableDictionary<string, CatalogScope> ByUser) ApplyTo(CatalogScope all, ImmutableDictionary<string, CatalogScope> byUser)
    {
        foreach (var (user, edits) in _byUser)
        {
            var scope = byUser.GetValueOrDefault(user, CatalogScope.Empty).With(edits);
            byUser = scope.NewestFirst.Count == 0 && scope.ErrorsNewestFirst.Count == 0 ? byUser.Remove(user) : byUser.SetItem(user, scope);
        }
        return (all.With(_all), byUser);
    }
}
