using CartCall.Domain.Billing;

namespace CartCall.Functions.Features.Billing;

/// <summary>What posting a batch did, entry by entry.</summary>
public sealed record PostingReport(int Posted, int AlreadyPosted, IReadOnlyList<string> Conflicts)
{
    public static PostingReport Empty { get; } = new(0, 0, []);
}

/// <summary>Balances of a slice of the ledger and whether it obeys the double-entry invariants.</summary>
/// <param name="Balances">Signed (debit − credit) per account, per currency.</param>
public sealed record LedgerCheck(
    int Transactions, IReadOnlyDictionary<string, IReadOnlyDictionary<LedgerAccount, long>> Balances, IReadOnlyList<string> Problems)
{
    public bool Balanced => Problems.Count == 0;
}

/// <summary>
/// The journal. Insert-only: an entry's key (source + kind) can be written once; posting it again posts nothing,
/// which is what makes retried and replayed events harmless.
/// </summary>
public interface ILedgerStore
{
    /// <summary>Posts balanced entries. Entries whose key exists are skipped (and reported as conflicts if they differ).</summary>
    /// <exception cref="ArgumentException">An entry does not balance; nothing of the batch is posted.</exception>
    Task<PostingReport> PostAsync(IReadOnlyList<LedgerTransaction> entries, CancellationToken cancellationToken);

    Task<LedgerTransaction?> FindAsync(string merchantId, StatementPeriod period, string key, CancellationToken cancellationToken);

    /// <summary>A merchant's entries of one month, in key order.</summary>
    IAsyncEnumerable<LedgerTransaction> ReadAsync(string merchantId, StatementPeriod period, CancellationToken cancellationToken);

    /// <summary>Balances and invariants of one merchant-month, or of the whole ledger when <paramref name="merchantId"/> is null.</summary>
    Task<LedgerCheck> CheckAsync(string? merchantId, StatementPeriod? period, CancellationToken cancellationToken);
}
