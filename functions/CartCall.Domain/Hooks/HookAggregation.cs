namespace CartCall.Domain.Hooks;

/// <summary>Who decided what, for the record and the merchant's view of a call.</summary>
public sealed record HookNote(string HookId, string Note);

/// <summary>What the hooks at one lifecycle point decided together.</summary>
/// <param name="Proceed">False: stop (do not show the offer, do not dial).</param>
/// <param name="ShopperMessage">When stopped, the polite sentence the shopper sees.</param>
/// <param name="StoppedBy">The hook whose veto or missing answer stopped it.</param>
/// <param name="AgentId">The agent chosen by the highest-priority routing answer, if any.</param>
/// <param name="RoutedBy">The hook whose routing answer won.</param>
/// <param name="Enrichment">Data from every answer, a higher-priority hook's value winning per name.</param>
public sealed record HookDecision(
    bool Proceed,
    string? ShopperMessage,
    string? StoppedBy,
    string? AgentId,
    string? RoutedBy,
    IReadOnlyDictionary<string, string> Enrichment,
    IReadOnlyList<HookNote> Notes);

/// <summary>
/// Combines the outcomes of the hooks at one lifecycle point. Rules (documented in the hooks README):
/// <list type="bullet">
/// <item>An explicit veto stops the step whatever the hook's failure mode: failure mode only says what a
/// <em>missing</em> answer means. The highest-priority veto's reason is what the shopper sees.</item>
/// <item>A hook with no valid answer (timed out, failed, invalid output, or no outcome by the deadline) is ignored
/// when fail-open and stops the step with <paramref name="defaultShopperMessage"/> when fail-closed.</item>
/// <item>The highest-priority routing answer chooses the agent; ties go to the smaller hook id, so the result never
/// depends on the order in which answers arrived.</item>
/// <item>Actions a point cannot act on (a veto after the call ended, say) are noted and otherwise ignored.</item>
/// </list>
/// </summary>
public static class HookAggregation
{
    public const string DefaultShopperMessage = "We can't start this call right now. Please try again a little later.";

    public const int MaxEnrichmentEntries = 64;

    public static HookDecision Decide(
        string point,
        IEnumerable<HookRegistration> registrations,
        IReadOnlyDictionary<string, HookOutcome> outcomes,
        string defaultShopperMessage = DefaultShopperMessage)
    {
        ArgumentNullException.ThrowIfNull(registrations);
        ArgumentNullException.ThrowIfNull(outcomes);
        var can = HookPoints.Capabilities(point);
        var notes = new List<HookNote>();
        var hooks = HookPlan.Order(registrations.Where(r => r.ListensTo(point)));

        (HookRegistration Hook, string Message)? stop = null;
        (HookRegistration Hook, string AgentId)? route = null;
        var enrichment = new Dictionary<string, string>(StringComparer.Ordinal);

        // Hooks come highest priority first, so the first veto, route and value seen for a name are the winners.
        foreach (var hook in hooks)
        {
            if (!outcomes.TryGetValue(hook.HookId, out var outcome))
            {
                outcome = HookOutcome.TimedOut(hook.HookId, "no outcome before the deadline");
            }

            if (outcome.Kind != HookOutcomeKind.Answered || outcome.Answer is null)
            {
                var what = $"{outcome.Kind}: {outcome.Error}";
                if (hook.FailureMode == FailureMode.Closed && can.CanVeto)
                {
                    notes.Add(new(hook.HookId, $"{what}; fail-closed, so the step stops"));
                    stop ??= (hook, defaultShopperMessage);
                }
                else
                {
                    notes.Add(new(hook.HookId, $"{what}; {(hook.FailureMode == FailureMode.Open ? "fail-open" : "nothing to stop here")}, ignored"));
                }

                continue;
            }

            var answer = outcome.Answer;
            switch (answer.Action)
            {
                case HookAction.Veto when can.CanVeto:
                    notes.Add(new(hook.HookId, "vetoed"));
                    stop ??= (hook, answer.Reason!);
                    break;
                case HookAction.Route when can.CanRoute:
                    notes.Add(new(hook.HookId, route is null ? $"routed to {answer.AgentId}" : $"routed to {answer.AgentId}, outranked"));
                    route ??= (hook, answer.AgentId!);
                    break;
                case HookAction.Veto or HookAction.Route:
                    notes.Add(new(hook.HookId, $"{answer.Action.ToString().ToLowerInvariant()} has no effect at {point}, ignored"));
                    break;
            }

            if (can.CanEnrich)
            {
                foreach (var (name, value) in answer.Data)
                {
                    if (enrichment.Count < MaxEnrichmentEntries || enrichment.ContainsKey(name))
                    {
                        enrichment.TryAdd(name, value);
                    }
                }
            }
        }

        return new HookDecision(
            stop is null, stop?.Message, stop?.Hook.HookId, route?.AgentId, route?.Hook.HookId, enrichment, notes);
    }
}
