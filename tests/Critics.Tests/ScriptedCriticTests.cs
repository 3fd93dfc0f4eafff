using AlignFx.Abstractions.Claims;
using AlignFx.Abstractions.Critique;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Tasks;
using AlignFx.Tasks.Arithmetic;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace AlignFx.Critics.Tests;

/// <summary>The scripted critic against the rates its options set, and where its critiques point.</summary>
public sealed class ScriptedCriticTests
{
    private static readonly IClaimChecker Claims = new ArithmeticClaims();
    private static readonly List<Response> Sample = TestResponses.Sample(4000, seed: 11);
    private static readonly List<Response> Flawed = [.. Sample.Where(r => TestResponses.FalseClaims(Claims, r).Length > 0)];
    private static readonly List<Response> Flawless = [.. Sample.Where(r => TestResponses.FalseClaims(Claims, r).Length == 0 && Claims.Claims(r).Count > 0)];

    /// <summary>Asserts a binomial rate within 4 standard errors of its parameter.</summary>
    private static void AssertRate(int hits, int trials, double p, string what)
    {
        double measured = (double)hits / trials, se = Math.Sqrt(p * (1 - p) / trials);
        TestContext.Current.TestOutputHelper?.WriteLine($"{what}: {measured:0.0000} over {trials}, set {p}, 4 SE {4 * se:0.0000}");
        Assert.True(trials > 500, $"only {trials} trials for {what}");
        Assert.InRange(measured, p - (4 * se), p + (4 * se));
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.7)]
    [InlineData(0.3)]
    public void A_helpful_critic_flags_responses_with_a_false_claim_at_its_recall_and_points_at_a_false_claim(double recall)
    {
        ScriptedCritic critic = TestResponses.Critic(new ScriptedCriticOptions { Recall = recall });
        var critiques = Flawed.Select(r => (Response: r, Critique: critic.Critique(r))).ToList();

        AssertRate(critiques.Count(c => c.Critique.Flawed), critiques.Count, recall, $"recall {recall}");
        foreach (var (response, critique) in critiques.Where(c => c.Critique.Flawed))
        {
            Assert.Contains(critique.ClaimIndex!.Value, TestResponses.FalseClaims(Claims, response));
        }
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.25)]
    public void A_noisy_critic_raises_false_alarms_on_flawless_responses_at_its_rate_pointing_at_a_true_claim(double rate)
    {
        ScriptedCritic critic = TestResponses.Critic(new ScriptedCriticOptions { Recall = 0.8, FalseAlarmRate = rate });
        var critiques = Flawless.Select(r => (Response: r, Critique: critic.Critique(r))).ToList();

        if (rate == 0)
        {
            Assert.DoesNotContain(critiques, c => c.Critique.Flawed);
            return;
        }
        AssertRate(critiques.Count(c => c.Critique.Flawed), critiques.Count, rate, $"false alarms {rate}");
        foreach (var (response, critique) in critiques.Where(c => c.Critique.Flawed))
        {
            int index = critique.ClaimIndex!.Value;
            Assert.InRange(index, 0, Claims.Claims(response).Count - 1);
            Assert.True(Claims.Check(Claims.Claims(response)[index], double.PositiveInfinity));
        }
    }

    [Fact]
    public void An_adversarial_critic_attacks_flawless_responses_at_their_hardest_claim_and_calls_flawed_ones_flawless()
    {
        ScriptedCritic critic = TestResponses.Critic(new ScriptedCriticOptions { Mode = CriticMode.Adversarial, Recall = 0.6 });

        Assert.DoesNotContain(Flawed, r => critic.Critique(r).Flawed);
        var attacks = Flawless.Select(r => (Response: r, Critique: critic.Critique(r))).ToList();
        AssertRate(attacks.Count(c => c.Critique.Flawed), attacks.Count, 0.6, "adversarial attacks");
        foreach (var (response, critique) in attacks.Where(c => c.Critique.Flawed))
        {
            IReadOnlyList<Claim> all = Claims.Claims(response);
            int index = critique.ClaimIndex!.Value;
            Assert.True(Claims.Check(all[index], double.PositiveInfinity));
            Assert.Equal(all.Max(c => c.Difficulty), all[index].Difficulty);
        }
    }

    /// <summary>A hard problem's working steps with some results changed, and whether the answer is changed too.</summary>
    public sealed record Broken(int Seed, bool[] WrongSteps, bool WrongAnswer);

    private static Arbitrary<Broken> BrokenResponses() =>
        (from seed in Gen.Choose(0, 100_000)
         from wrong in Gen.Elements(true, false).ArrayOf(3)
         from answer in Gen.Elements(true, false)
         select new Broken(seed, wrong, answer)).ToArbitrary();

    [Property(MaxTest = 200)]
    public Property A_helpful_critic_at_recall_one_points_at_the_easiest_false_claim_to_verify_and_only_when_there_is_one() =>
        Prop.ForAll(BrokenResponses(), broken =>
        {
            var problem = new ArithmeticProblem([10 + (broken.Seed % 90), 10 + (broken.Seed / 7 % 90), 10 + (broken.Seed / 11 % 90), 10 + (broken.Seed / 13 % 90)], "+-+");
            // Build the response by hand: which claims are false is known here, not asked of the checker.
            ArithmeticStep[] steps = [.. problem.Steps.Select((s, i) => broken.WrongSteps[i] ? s with { Result = s.Result + 1 + (broken.Seed % 5) } : s)];
            long answer = broken.WrongAnswer ? problem.Answer + 10 : problem.Answer;
            var text = new ArithmeticResponse(answer, steps, ResponseTone.Plain, false).Format();
            var response = new Response(new Prompt("p", problem.PromptText), text) { Id = "r" };
            bool[] falseClaims = [.. broken.WrongSteps, broken.WrongAnswer];

            Critique critique = TestResponses.Critic(new ScriptedCriticOptions { Recall = 1 }, seed: broken.Seed).Critique(response);

            IReadOnlyList<Claim> claims = Claims.Claims(response);
            int? expected = Enumerable.Range(0, 4).Where(i => falseClaims[i]).OrderBy(i => claims[i].Difficulty).ThenBy(i => i).Select(i => (int?)i).FirstOrDefault();
            return critique.Flawed == falseClaims.Any(f => f) && critique.ClaimIndex == expected && claims.Count == 4;
        });

    [Fact]
    public void Critiques_depend_on_the_seed_and_the_response_only_not_on_what_else_is_critiqued()
    {
        var options = new ScriptedCriticOptions { Recall = 0.5, FalseAlarmRate = 0.5 };
        List<Response> responses = [.. Sample.Take(600)];
        var forward = responses.Select(r => TestResponses.Critic(options, seed: 9).Critique(r)).ToList();
        ScriptedCritic shared = TestResponses.Critic(options, seed: 9);
        var backward = Enumerable.Reverse(responses).Select(r => shared.Critique(r)).Reverse().ToList();
        var otherSeed = responses.Select(r => TestResponses.Critic(options, seed: 10).Critique(r)).ToList();

        Assert.Equal(forward, backward);
        Assert.NotEqual(forward, otherSeed);
    }

    [Fact]
    public void A_tone_principle_flags_confident_responses_and_a_hint_principle_flags_repeating_a_wrong_hint()
    {
        var tone = new Principle { Name = "tone", Concerns = [GoldFeatures.Confident] };
        var hint = new Principle { Name = "hint", Concerns = [GoldFeatures.AgreesWithHint] };
        var length = new Principle { Name = "length", Concerns = [GoldFeatures.Length] };
        ScriptedCritic critic = TestResponses.Critic(new ScriptedCriticOptions());
        var prompt = new Prompt("p", new ArithmeticProblem([12, 7], "+", hint: 20).PromptText) { Metadata = new Dictionary<string, string> { ["hint"] = "20" } };

        Assert.True(critic.Critique(new Response(prompt, "Surely 19. Trust me."), tone).Flawed);
        Assert.False(critic.Critique(new Response(prompt, "Maybe 19?"), tone).Flawed);
        Critique copied = critic.Critique(new Response(prompt, "20"), hint);
        Assert.True(copied.Flawed);
        Assert.Equal(0, copied.ClaimIndex);
        Assert.Equal("hint", copied.Principle);
        Assert.False(critic.Critique(new Response(prompt, "19"), hint).Flawed);
        Assert.False(critic.Critique(new Response(prompt, "Surely 20."), length).Flawed);
    }

    [Fact]
    public void Every_critique_costs_what_the_options_say_and_names_the_critic()
    {
        ScriptedCritic critic = TestResponses.Critic(new ScriptedCriticOptions { CostPerCritique = 0.25 });
        Assert.All(Sample.Take(50).Select(r => critic.Critique(r)), c =>
        {
            Assert.Equal(0.25, c.Cost);
            Assert.Equal(ScriptedCritic.Name, c.Critic);
        });
    }

    [Fact]
    public void The_critic_refuses_a_task_without_claims_and_says_what_to_use_instead()
    {
        var error = Assert.Throws<InvalidOperationException>(() => TestResponses.Critic(new ScriptedCriticOptions(), task: new NoClaimsTask()));
        Assert.Contains("checkable claims", error.Message, StringComparison.Ordinal);
        Assert.Contains("chat critic", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_built_plugin_registers_the_scripted_critic_as_a_critic()
    {
        ComponentDescriptor? descriptor = BuiltPlugins.Load("Critics").Find(ComponentKinds.Critic, ScriptedCritic.Name);
        Assert.NotNull(descriptor);
        Assert.Equal(typeof(ScriptedCriticOptions).FullName, descriptor.OptionsType.FullName);
    }

    private sealed class NoClaimsTask : ITask
    {
        public IReadOnlyList<string> Splits => [];
        public IGoldEvaluator? Gold => null;
        public IReadOnlyList<Prompt> GetPrompts(string split) => [];
        public IReadOnlyList<PretrainingExample> GetPretrainingCorpus() => [];
    }
}
