using System.Text.Json;
using CartCall.Domain.Carts;
using CartCall.Domain.Tests.TestSupport;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static CartCall.Domain.Tests.TestSupport.Build;

namespace CartCall.Domain.Tests.Carts;

public class CartSessionPropertyTests
{
    private static readonly DateTimeOffset Now = T0.AddHours(5);

    [Property(MaxTest = 200)]
    public Property Apply_AnyPermutationOfSameEvents_YieldsSameState() =>
        Prop.ForAll(Generators.EventsAndPermutation, pair =>
        {
            var a = SessionOf(pair.Events);
            var b = SessionOf(pair.Shuffled);
            return Json(a) == Json(b) && a.Features(Now, 0.3m) == b.Features(Now, 0.3m);
        });

    [Property(MaxTest = 200)]
    public Property Apply_DuplicateEvent_NeverChangesState() =>
        Prop.ForAll(
            (from events in Generators.EventSets().Where(e => e.Length > 0)
             from index in Gen.Choose(0, events.Length - 1)
             from insertAt in Gen.Choose(0, events.Length)
             select (events, index, insertAt)).ToArbitrary(),
            t =>
            {
                var clean = SessionOf(t.events);
                var before = Json(clean);
                var reapplied = clean.Apply(t.events[t.index]);

                // A duplicate delivered mid-stream must not matter either.
                var withDuplicate = t.events.ToList();
                withDuplicate.Insert(t.insertAt, t.events[t.index]);

                return !reapplied && Json(clean) == before && Json(SessionOf(withDuplicate)) == before;
            });

    [Property(MaxTest = 200)]
    public Property Json_RoundTrip_PreservesState() =>
        Prop.ForAll(
            (from events in Generators.EventSets()
             from split in Gen.Choose(0, events.Length)
             select (events, split)).ToArbitrary(),
            t =>
            {
                // Persist half-way, reload, carry on: must equal never having persisted.
                var original = SessionOf(t.events.Take(t.split));
                var reloaded = JsonSerializer.Deserialize<CartSession>(Json(original))!;
                var sameAfterLoad = Json(reloaded) == Json(original)
                    && reloaded.Features(Now, 0.3m) == original.Features(Now, 0.3m);

                foreach (var e in t.events.Skip(t.split))
                {
                    original.Apply(e);
                    reloaded.Apply(e);
                }

                return sameAfterLoad && Json(reloaded) == Json(original) && Json(original) == Json(SessionOf(t.events));
            });
}
