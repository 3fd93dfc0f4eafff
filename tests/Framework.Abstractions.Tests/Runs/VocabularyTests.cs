using System.Reflection;
using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.Abstractions.Tests.Runs;

public class VocabularyTests
{
    private static IEnumerable<Type> Families => typeof(MetricNames).GetNestedTypes(BindingFlags.Public);

    private static IEnumerable<FieldInfo> Names(Type type) =>
        type.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral && f.FieldType == typeof(string));

    [Fact]
    public void Every_shared_metric_name_starts_with_its_familys_prefix()
    {
        Assert.NotEmpty(Families);
        foreach (Type family in Families)
        {
            string prefix = (string)family.GetField("Prefix")!.GetRawConstantValue()!;
            Assert.EndsWith("/", prefix, StringComparison.Ordinal);
            foreach (FieldInfo name in Names(family).Where(f => f.Name != "Prefix"))
            {
                string value = (string)name.GetRawConstantValue()!;
                Assert.True(value.StartsWith(prefix, StringComparison.Ordinal) && value.Length > prefix.Length, $"{family.Name}.{name.Name} = '{value}' is not in '{prefix}'");
            }
        }
    }

    [Fact]
    public void No_two_metric_names_or_families_share_a_string()
    {
        var current = Families.SelectMany(f => Names(f).Where(n => n.Name != "Prefix").Select(n => (Where: $"{f.Name}.{n.Name}", Value: (string)n.GetRawConstantValue()!)))
            .Concat(Names(typeof(MetricNames)).Where(f => f.GetCustomAttribute<ObsoleteAttribute>() is null).Select(n => (Where: n.Name, Value: (string)n.GetRawConstantValue()!)))
            .ToList();
        Assert.Empty(current.GroupBy(n => n.Value).Where(g => g.Count() > 1).Select(g => string.Join(", ", g.Select(n => n.Where))));
        var prefixes = Families.Select(f => (string)f.GetField("Prefix")!.GetRawConstantValue()!).ToList();
        Assert.Equal(prefixes.Count, prefixes.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void The_obsolete_flat_names_of_contracts_2_2_keep_their_strings()
    {
        // Plugins built against 2.2 compiled these strings in; the family names must be the same strings.
#pragma warning disable CS0618
        Assert.Equal(("objective/kl", "gold/accuracy", "rm/val_accuracy", "feedback/cost", "loss/policy_avg"),
            (MetricNames.Kl, MetricNames.GoldAccuracy, MetricNames.RewardModelValidationAccuracy, MetricNames.FeedbackCost, MetricNames.PolicyLoss));
#pragma warning restore CS0618
        var obsolete = Names(typeof(MetricNames)).Where(f => f.GetCustomAttribute<ObsoleteAttribute>() is not null).ToList();
        Assert.Equal(21, obsolete.Count);
        var current = Families.SelectMany(Names).Select(f => (string)f.GetRawConstantValue()!).ToHashSet(StringComparer.Ordinal);
        Assert.All(obsolete, f => Assert.Contains((string)f.GetRawConstantValue()!, current));
    }

    [Fact]
    public void A_typed_key_stores_and_finds_its_result_by_type_and_name()
    {
        var bag = new ArtifactBag();
        var policy = new FixedPolicy();
        var examples = new List<Response> { new(new Prompt("p", "1+1="), "2") };

        bag.Set(ArtifactKeys.BasePolicy, policy);
        bag.Set<IReadOnlyList<Response>>(examples, "sft");

        Assert.Same(policy, bag.Get(ArtifactKeys.BasePolicy));
        Assert.Same(policy, bag.Get<IPolicy>("base"));
        Assert.Same(examples, bag.Get(ArtifactKeys.SftDataset));
        Assert.Null(bag.TryGet(ArtifactKeys.Feedback));
        bag.Set(ArtifactKeys.Feedback, new FeedbackDataset([]));
        Assert.Same(bag.Get<FeedbackDataset>(), bag.Get(ArtifactKeys.Feedback));
        var missing = Assert.Throws<InvalidOperationException>(() => bag.Get(ArtifactKeys.SftDataset.Named("revisions")));
        Assert.Contains("'revisions'", missing.Message, StringComparison.Ordinal);
        Assert.Equal("IPolicy 'base'", ArtifactKeys.BasePolicy.ToString());
    }

    private sealed class FixedPolicy : IPolicy
    {
        public Task<IReadOnlyList<Response>> GenerateAsync(IReadOnlyList<Prompt> prompts, GenerationOptions options, CancellationToken ct) =>
            Task.FromResult<IReadOnlyList<Response>>([.. prompts.Select(p => new Response(p, ""))]);

        public Task<IReadOnlyList<float[]>> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct) =>
            Task.FromResult<IReadOnlyList<float[]>>([.. responses.Select(_ => Array.Empty<float>())]);
    }
}
