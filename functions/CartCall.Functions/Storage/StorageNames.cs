namespace CartCall.Functions.Storage;

/// <summary>Every table and queue CartCall uses; Bicep creates the same names.</summary>
public static class StorageNames
{
    public const string MerchantsTable = "merchants";
    public const string SessionsTable = "sessions";
    public const string OffersTable = "offers";
    public const string CountersTable = "counters";
    public const string AgentsTable = "agents";
    public const string ProfilesTable = "profiles";

    /// <summary>Calls: one partition per call id (the call row and its callback-event rows), plus a per-merchant index.</summary>
    public const string CallsTable = "calls";

    /// <summary>Merchant hooks: PK = merchant id, RK = hook id.</summary>
    public const string HooksTable = "hooks";

    /// <summary>Hook invocations (status, attempts, payload for replay): PK = merchant id, RK = idempotency key.</summary>
    public const string HookDeliveriesTable = "hookdeliveries";

    /// <summary>The double-entry journal: partition = merchant + month, row = source + posting kind (insert-only).</summary>
    public const string LedgerTable = "ledger";

    /// <summary>Merchant plans: partition = merchant, row = first local day the plan applies.</summary>
    public const string PlansTable = "plans";

    /// <summary>Shopper holds for paid calls: partition = call id.</summary>
    public const string HoldsTable = "holds";

    /// <summary>The experiment: partition = merchant + UTC day of the first decision to offer, row = session id.</summary>
    public const string ExperimentsTable = "experiments";

    /// <summary>How finished sessions ended, for learning: partition = merchant + UTC month, row = session id.</summary>
    public const string OutcomesTable = "outcomes";

    /// <summary>Scoring weight versions: partition = merchant, one row holding the weight history.</summary>
    public const string WeightsTable = "weights";

    /// <summary>Ended calls whose settlement gave up (a long payment-provider outage): PK = "calls", RK = call id; the daily close bills them.</summary>
    public const string UnsettledTable = "unsettled";

    public const string ReevaluateQueue = "reevaluate";

    /// <summary>Sessions whose outbox a failed follow-up left waiting (DrainOutbox).</summary>
    public const string OutboxQueue = "outbox";

    /// <summary>Checks, due once an offer can no longer be accepted, that release a hold no call was placed with (ReleaseUnusedHold).</summary>
    public const string HoldReleaseQueue = "hold-release";

    public static readonly string[] Tables =
        [MerchantsTable, SessionsTable, OffersTable, CountersTable, AgentsTable, ProfilesTable, CallsTable,
         HooksTable, HookDeliveriesTable, LedgerTable, PlansTable, HoldsTable, ExperimentsTable, OutcomesTable, WeightsTable, UnsettledTable];

    public static readonly string[] Queues = [ReevaluateQueue, OutboxQueue, HoldReleaseQueue];

    /// <summary>The Functions host's naming for a queue's dead letters.</summary>
    public static string Poison(string queue) => queue + "-poison";
}
