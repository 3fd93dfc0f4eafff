using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Nodes;
using AlignFx.Abstractions.Oversight;
using AlignFx.Abstractions.Plugins;
using static AlignFx.Debate.Tests.ChatJudgeTests;

namespace AlignFx.Debate.Tests;

/// <summary>
/// The <c>chat</c> consultant: a chat model argues for the answer it is assigned and chooses, when the judge questions
/// a claim it cannot check, to split it or stand by it; a reply outside the grammar or too late forfeits the turn.
/// </summary>
public sealed class ChatConsultantTests
{
    private static readonly List<(OversightQuestion Question, int Right)> Questions = Arena.Questions(17, 12);

    private static (ConsultancyProtocol Consultancy, FakeChatModel Model) Consultancy(string reply, double delaySeconds = 0, double timeoutSeconds = 5, double honestRate = 0.5)
    {
        var model = new FakeChatModel(new FakeChatOptions { Reply = reply, DelaySeconds = delaySeconds });
        var options = new ConsultancyOptions
        {
            HonestRate = honestRate,
            Consultant = new DebaterOptions { Name = DebateNames.ChatDebater, Model = new ComponentRef { Name = "fake" }, TimeoutSeconds = timeoutSeconds },
        };
        return (new ConsultancyProtocol(options, new TestRunContext(6), Arena.GoldFree(Arena.Task(17, 12)), new Factory(model), new TemplatePrompter()), model);
    }

    [Fact]
    public async Task A_chat_consultant_that_splits_has_the_judge_check_a_part_of_the_questioned_claim()
    {
        (ConsultancyProtocol consultancy, FakeChatModel model) = Consultancy("Split, of course.");

        foreach ((OversightQuestion question, _) in Questions)
        {
            foreach (Game game in (await consultancy.JudgeDetailedAsync(question, TestContext.Current.CancellationToken)).Games)
            {
                // The bare answer's final claim (difficulty 4) is questioned, split into three steps, and one of them checked.
                Assert.Contains(game.Transcript, t => t.Speaker == Speakers.Consultant && t.Text.Contains(" holds because: [1] ", StringComparison.Ordinal));
                Assert.Equal(1, game.Checks);
                Assert.Equal(2, game.Turns);
            }
        }
        string asked = model.Prompts[0];
        Assert.Contains("The judge questions " + Questions[0].Question.Candidates[0].Prompt.Text.Split('=')[0] + "=", asked, StringComparison.Ordinal);
        Assert.Contains("Its parts: [1] ", asked, StringComparison.Ordinal);
        Assert.Equal(2 * Questions.Count, model.Prompts.Count);
    }

    [Fact]
    public async Task A_chat_consultant_that_stands_by_a_claim_leaves_it_unchecked_and_the_judge_goes_by_its_impression()
    {
        (ConsultancyProtocol consultancy, _) = Consultancy("stand");

        foreach ((OversightQuestion question, _) in Questions)
        {
            foreach (Game game in (await consultancy.JudgeDetailedAsync(question, TestContext.Current.CancellationToken)).Games)
            {
                Assert.Contains(game.Transcript, t => t.Speaker == Speakers.Consultant && t.Text.EndsWith("holds; I stand by it.", StringComparison.Ordinal));
                Assert.Equal(0, game.Checks);
                Assert.False(game.DecidedByCheck);
            }
        }
    }

    [Theory]
    [InlineData("I would rather not.", 0, "reply 'I would rather not.' is outside the grammar: 'split' or 'stand'")]
    [InlineData("split", 2, "no reply within 0.05 s")]
    public async Task A_reply_outside_the_grammar_or_too_late_forfeits_the_consultants_turn_recorded_and_never_stalls(string reply, double delaySeconds, string recorded)
    {
        (ConsultancyProtocol consultancy, _) = Consultancy(reply, delaySeconds, timeoutSeconds: 0.05);

        foreach ((OversightQuestion question, _) in Questions.Take(3))
        {
            ProtocolOutcome outcome = await consultancy.JudgeDetailedAsync(question, TestContext.Current.CancellationToken);
            foreach (Game game in outcome.Games)
            {
                TranscriptTurn forfeit = Assert.Single(game.Transcript, t => t.Text.StartsWith("forfeits the turn (", StringComparison.Ordinal));
                Assert.Equal(Speakers.Consultant, forfeit.Speaker);
                Assert.Contains(recorded, forfeit.Text, StringComparison.Ordinal);
                Assert.Equal(2, game.Turns);
                Assert.False(game.DecidedByCheck);
            }
        }
    }

    [Fact]
    public async Task The_chat_consultant_is_assigned_the_right_answer_at_the_honest_rate()
    {
        async Task<double> RightRate(double honestRate)
        {
            (ConsultancyProtocol consultancy, _) = Consultancy("stand", honestRate: honestRate);
            int right = 0;
            foreach ((OversightQuestion question, int correct) in Arena.Questions(17, 12))
            {
                Game game = (await consultancy.JudgeDetailedAsync(question, TestContext.Current.CancellationToken)).Games[0];
                right += game.Transcript[0].Text.StartsWith($"Candidate {correct} is right", StringComparison.Ordinal) ? 1 : 0;
            }
            return right / 12.0;
        }

        Assert.Equal(1, await RightRate(1));
        Assert.Equal(0, await RightRate(0));
    }

    [Fact]
    public void Consultancy_takes_a_scripted_or_a_chat_consultant_and_a_chat_one_needs_a_model()
    {
        static List<ValidationResult> Errors(object options)
        {
            var errors = new List<ValidationResult>();
            Validator.TryValidateObject(options, new ValidationContext(options), errors, validateAllProperties: true);
            return errors;
        }

        Assert.Empty(Errors(new ConsultancyOptions { Consultant = new DebaterOptions { Name = DebateNames.ChatDebater, Model = new ComponentRef { Name = "policy" } } }));
        Assert.Contains(Errors(new ConsultancyOptions { Consultant = new DebaterOptions { Name = DebateNames.PolicyDebater } }),
            e => e.ErrorMessage!.Contains("set consultant.name to scripted or chat", StringComparison.Ordinal));
        Assert.Contains(Errors(new DebaterOptions { Name = DebateNames.ChatDebater }), e => e.ErrorMessage!.Contains("set model to a chat-model component", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_tiny_policy_chat_model_consults_in_a_run_and_every_defence_is_in_the_grammar_or_a_recorded_forfeit()
    {
        // The gpt policy at a tiny size with random weights, as the `policy` chat model: its replies are mostly
        // gibberish, so the run shows every consultant turn parsed or recorded as a forfeit, and the run ends.
        JsonObject manifest = JsonNode.Parse("""
            {
              "name": "chat-consultant-policy", "seed": 2,
              "task": { "name": "arithmetic", "options": { "operators": "+-", "hardDigits": 2, "hardOperations": 3, "hardFraction": 1, "testPrompts": 20, "trainPrompts": 20 } },
              "policy": { "name": "gpt", "options": { "layers": 1, "dModel": 16, "heads": 2 } },
              "stages": [ { "stage": "oversee", "items": 8, "method": { "name": "consultancy", "options": {
                "consultant": { "name": "chat", "model": { "name": "policy", "options": { "maxNewTokens": 6 } }, "timeoutSeconds": 30 },
                "consultantPrompt": { "template": "{{$answer}}. {{$parts}}." } } } } ]
            }
            """)!.AsObject();
        using var run = new ExampleRun();

        await run.RunAsync(manifest, BuiltPlugins.Load("Tasks", "Feedback", "Debate", "LanguageModels"), TestContext.Current.CancellationToken);

        Assert.Single(run.Metric(OversightMetrics.Accuracy));
        var artifact = Assert.Single(run.Store.GetArtifacts(run.Outcome.RunId), a => a.Kind == OverseeStage.TranscriptsKind);
        string[] lines = File.ReadAllLines(Path.Combine(run.Store.GetRunFolder(run.Outcome.RunId), artifact.RelativePath));
        Assert.Equal(8, lines.Length);
        var defences = lines.SelectMany(l => JsonDocument.Parse(l).RootElement.GetProperty("transcript").EnumerateArray())
            .Where(t => t.GetProperty("speaker").GetString() == Speakers.Consultant)
            .Select(t => t.GetProperty("text").GetString()!)
            .Where(t => !t.StartsWith("Candidate ", StringComparison.Ordinal))
            .ToList();
        Assert.Equal(16, defences.Count);
        Assert.All(defences, t => Assert.True(t.Contains(" holds because: ", StringComparison.Ordinal) || t.EndsWith("I stand by it.", StringComparison.Ordinal)
            || t.StartsWith("forfeits the turn (reply '", StringComparison.Ordinal), t));
    }
}
