using System.Text.Json;
using System.Text.Json.Nodes;
using AlignFx.Abstractions.Claims;
using AlignFx.Abstractions.Oversight;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Tasks;
using AlignFx.Host.Manifests;
using AlignFx.Tasks.Arithmetic;

namespace AlignFx.Debate.Tests;

/// <summary>
/// Where a liar hides its one false step (<c>falseStep</c>): at the step asked, with every other step true per the
/// task's claim checker and the later steps carrying the error to the assigned wrong answer; at random positions
/// roughly uniformly; and fully skilled debate still decides the items the judge cannot check alone.
/// </summary>
public sealed class FalseStepTests
{
    private static readonly ArithmeticClaims Checker = new();

    private static DebaterOptions Liars(object falseStep, bool steps = true) => new()
    {
        FalseStep = JsonSerializer.SerializeToElement(falseStep),
        Dishonest = Arena.Skill(persuasiveness: 1, steps: steps),
    };

    /// <summary>The wrong candidates of <paramref name="count"/> questions (off by 2, 3 working steps each: four two-digit operands, + and -).</summary>
    private static List<Response> WrongAnswers(long seed, int count) =>
        [.. Arena.Questions(seed, count).Select(q => q.Question.Candidates[1 - q.Right])];

    /// <summary>Asserts that <paramref name="stance"/>'s working hides exactly one false step, at its <see cref="Stance.FalseStep"/>, and reaches its answer.</summary>
    private static void AssertOneFalseStep(Stance stance)
    {
        IReadOnlyList<Claim> working = stance.Working!;
        int[] falseOnes = [.. Enumerable.Range(0, working.Count).Where(i => Checker.Check(working[i], double.PositiveInfinity) == false)];
        Assert.Equal([stance.FalseStep!.Value], falseOnes);
        Assert.All(working, c => Assert.NotNull(Checker.Check(c, double.PositiveInfinity)));
        Assert.EndsWith("=" + stance.Answer, working[^1].Text, StringComparison.Ordinal);
        Assert.False(stance.Honest);
        // Each later step computes on from the one before it (the running value is its left operand).
        for (int i = stance.FalseStep.Value + 1; i < working.Count; i++)
        {
            string previous = working[i - 1].Text[(working[i - 1].Text.LastIndexOf('=') + 1)..];
            Assert.StartsWith(previous, working[i].Text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("result", 2)]
    [InlineData("first", 0)]
    [InlineData(1, 0)]
    [InlineData(2, 1)]
    [InlineData(3, 2)]
    [InlineData(7, 2)]
    public void A_liar_hides_its_one_false_step_at_the_step_asked_and_its_later_steps_reach_the_assigned_answer(object falseStep, int expected)
    {
        var claims = new DebaterClaimView(Checker);
        var liar = new ScriptedDebater(Liars(falseStep), claims, seed: 3);

        foreach (Response wrong in WrongAnswers(21, 40))
        {
            Stance stance = liar.Open(wrong);

            Assert.Equal(expected, stance.FalseStep);
            Assert.Equal(4, stance.Chain.Count);
            Assert.Equal(stance.Working, stance.Chain.Take(3));
            AssertOneFalseStep(stance);
            // Split on its final claim, it states the same working.
            Assert.Equal(stance.Working, liar.Split(stance, stance.Final!));
        }
    }

    [Fact]
    public void The_result_step_is_where_the_false_step_was_before_the_option_the_tasks_own_split()
    {
        var claims = new DebaterClaimView(Checker);
        var before = new ScriptedDebater(new DebaterOptions(), claims);
        var result = new ScriptedDebater(Liars("result"), claims);

        foreach (Response wrong in WrongAnswers(22, 20))
        {
            Assert.Equal(before.Open(wrong).Chain, result.Open(wrong).Chain);
            Assert.Equal(Checker.Split(Checker.Claims(wrong)[^1]), result.Open(wrong).Working);
        }
    }

    [Theory]
    [InlineData("2*3*4=28", 0, "2*3=7, 7*4=28")]   // an error of 1 at the first step, times 4, is the answer's error of 4
    [InlineData("2*3*4=25", 0, null)]              // an error of 1 at the answer cannot come from the first step (x 4)
    [InlineData("7-2*3=0", 0, "2*3=7, 7-7=0")]     // through a subtraction the error changes sign
    [InlineData("2*3*0=1", 0, null)]               // times 0: no error at the first step reaches the answer
    [InlineData("2*3*4=25", 1, "2*3=6, 6*4=25")]   // the result step always works: the task's split
    [InlineData("2*3*4=24", 0, null)]              // a true claim hides no false step
    public void An_early_false_step_exists_only_where_the_later_operations_carry_its_error_to_the_claimed_result(string claim, int falseStep, string? parts)
    {
        IReadOnlyList<Claim>? working = Checker.SplitWithFalseStep(ArithmeticClaims.Of(claim), falseStep);

        Assert.Equal(parts, working is null ? null : string.Join(", ", working.Select(c => c.Text)));
    }

    [Fact]
    public void Where_the_asked_step_cannot_carry_the_error_the_liar_uses_the_nearest_later_one_that_can()
    {
        var claims = new DebaterClaimView(Checker);
        var liar = new ScriptedDebater(Liars("first"), claims);
        var prompt = new Prompt("p", "2*3*4=?");

        Stance off1 = liar.Open(new Response(prompt, "25"));
        Stance off4 = liar.Open(new Response(prompt, "28"));

        Assert.Equal(1, off1.FalseStep);
        Assert.Equal(0, off4.FalseStep);
        AssertOneFalseStep(off1);
        AssertOneFalseStep(off4);
    }

    [Fact]
    public void Random_positions_cover_every_step_about_uniformly_and_are_the_same_in_both_answer_orders_under_a_seed()
    {
        const int Count = 900;
        var claims = new DebaterClaimView(Checker);
        var liar = new ScriptedDebater(Liars("random"), claims, seed: 5);
        List<Response> wrong = WrongAnswers(23, Count);

        int[] counts = new int[3];
        foreach (Response answer in wrong)
        {
            Stance stance = liar.Open(answer);
            AssertOneFalseStep(stance);
            counts[stance.FalseStep!.Value]++;
            Assert.Equal(stance.FalseStep, liar.Open(answer).FalseStep);
        }

        // Every position works for these chains (additions and subtractions carry an error unchanged), so each of the
        // three is drawn with probability 1/3: Pearson's chi-square over the three counts, 2 degrees of freedom, stays
        // below 13.8 (its 0.999 quantile) unless the draw is not uniform.
        double expected = Count / 3.0;
        double chiSquare = counts.Sum(c => (c - expected) * (c - expected) / expected);
        Assert.True(chiSquare < 13.8, $"positions {string.Join(", ", counts)}: chi-square {chiSquare:F2}");
        // Another seed draws other positions for the same answers.
        var other = new ScriptedDebater(Liars("random"), claims, seed: 6);
        Assert.Contains(wrong, a => other.Open(a).FalseStep != liar.Open(a).FalseStep);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Fully_skilled_debate_is_still_right_on_items_the_judge_cannot_check_with_the_false_step_at_random_positions(bool steps)
    {
        IReadOnlyDictionary<string, double> debate = await Arena.Oversee(
            (c, t) => new DebateProtocol(new DebateOptions { Judge = Arena.BiasedJudge(), Debaters = Liars("random", steps) }, c, t), 1, 300);

        Assert.Equal(1, debate[OversightMetrics.UncheckableFraction]);
        Assert.True(debate[OversightMetrics.AccuracyUncheckable] >= 0.95, $"debate {debate[OversightMetrics.AccuracyUncheckable]}");
    }

    [Fact]
    public async Task Transcripts_show_the_liars_false_step_where_it_was_placed_and_the_honest_debater_disputes_it()
    {
        var debate = new DebateProtocol(new DebateOptions { Debaters = Liars("first") }, new TestRunContext(4), Arena.GoldFree(Arena.Task(24, 10)));

        foreach ((OversightQuestion question, int right) in Arena.Questions(24, 10))
        {
            foreach (Game game in (await debate.JudgeDetailedAsync(question, TestContext.Current.CancellationToken)).Games)
            {
                Assert.Equal(right, game.Chosen);
                Assert.Contains(game.Transcript, t => t.Text.StartsWith("I dispute claim 1 of ", StringComparison.Ordinal));
                Assert.Contains("stated a false claim", game.Transcript[^1].Text, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void A_false_step_that_is_not_result_first_random_or_a_step_number_is_refused_by_its_json_path()
    {
        var catalog = BuiltPlugins.Load("Tasks", "Feedback", "Debate");
        JsonNode Stage(string method, string role, JsonNode? falseStep, string name = "scripted") => new JsonObject
        {
            ["stage"] = "oversee",
            ["items"] = 10,
            ["method"] = new JsonObject
            {
                ["name"] = method,
                ["options"] = new JsonObject { [role] = new JsonObject { ["name"] = name, ["model"] = name == "chat" ? "fake" : null, ["falseStep"] = falseStep } },
            },
        };
        var manifest = new JsonObject
        {
            ["name"] = "false-step",
            ["task"] = "arithmetic",
            ["policy"] = "gpt",
            ["stages"] = new JsonArray(
                Stage("debate", "debaters", "middle"),
                Stage("debate", "debaters", 0),
                Stage("consultancy", "consultant", 2.5),
                Stage("debate", "debaters", "2"),
                Stage("debate", "debaters", true),
                Stage("debate", "debaters", "first", "chat"),
                Stage("debate", "debaters", "random"),
                Stage("consultancy", "consultant", 3)),
        };
        string dir = Directory.CreateTempSubdirectory("alignfx-debate-").FullName;
        string path = Path.Combine(dir, "m.json");
        File.WriteAllText(path, manifest.ToJsonString());

        ManifestResult<PipelineManifest> loaded = ManifestLoader.LoadPipeline(path, new TestCatalog(catalog,
            new ComponentDescriptor(ComponentKinds.ChatModel, "fake", typeof(ChatJudgeTests.FakeChatModel), typeof(ChatJudgeTests.FakeChatOptions), "replies as told") { Plugin = "Debate.Tests" },
            new ComponentDescriptor(ComponentKinds.Policy, "gpt", typeof(PipelineTests.CorpusPolicy), typeof(NoOptions), "corpus") { Plugin = "Debate.Tests" }));
        Directory.Delete(dir, recursive: true);

        GoldenFiles.Check("false-step-errors.txt", loaded.FormatErrors().Replace(path, "m.json", StringComparison.Ordinal) + "\n");
    }
}
