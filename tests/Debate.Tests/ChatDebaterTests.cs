using System.ComponentModel.DataAnnotations;
using AlignFx.Abstractions.Oversight;
using AlignFx.Abstractions.Plugins;
using static AlignFx.Debate.Tests.ChatJudgeTests;

namespace AlignFx.Debate.Tests;

/// <summary>The <c>chat</c> debaters: a chat model chooses each move; a reply outside the grammar or too late forfeits the turn.</summary>
public sealed class ChatDebaterTests
{
    private static readonly List<(OversightQuestion Question, int Right)> Questions = Arena.Questions(13, 8);

    private static DebateProtocol Debate(string reply, double delaySeconds = 0, double timeoutSeconds = 5)
    {
        var model = new FakeChatModel(new FakeChatOptions { Reply = reply, DelaySeconds = delaySeconds });
        var options = new DebateOptions
        {
            Debaters = new DebaterOptions { Name = DebateNames.ChatDebater, Model = new ComponentRef { Name = "fake" }, TimeoutSeconds = timeoutSeconds },
        };
        return new DebateProtocol(options, new TestRunContext(5), Arena.GoldFree(Arena.Task(13, 8)), new Factory(model), new TemplatePrompter());
    }

    [Fact]
    public async Task Chat_debaters_move_as_their_model_replies_and_the_judge_checks_what_they_dispute()
    {
        // Both always dispute the first claim: the bare answers' final claims split, and the first part (a true step) is checked.
        DebateProtocol debate = Debate("Dispute 1, it is wrong.");

        foreach ((OversightQuestion question, _) in Questions)
        {
            foreach (Game game in (await debate.JudgeDetailedAsync(question, TestContext.Current.CancellationToken)).Games)
            {
                Assert.Contains(game.Transcript, t => t.Speaker == Speakers.DebaterA && t.Text.StartsWith("I dispute claim 1 of debater-b", StringComparison.Ordinal));
                Assert.Contains(game.Transcript, t => t.Speaker == Speakers.DebaterA && t.Text.StartsWith("I dispute part 1: ", StringComparison.Ordinal));
                Assert.True(game.DecidedByCheck);
                Assert.Equal(game.Order[1], game.Chosen);
                Assert.Contains("debater-a disputed a true claim", game.Transcript[^1].Text, StringComparison.Ordinal);
            }
        }
    }

    [Theory]
    [InlineData("I think the other answer is wrong.", 0, "is outside the grammar: 'dispute N' with N from 1 to 1, or 'pass'")]
    [InlineData("dispute 7", 0, "is outside the grammar")]
    [InlineData("pass", 2, "no reply within 0.05 s")]
    public async Task A_reply_outside_the_grammar_or_too_late_forfeits_the_turn_and_never_stalls_the_debate(string reply, double delaySeconds, string recorded)
    {
        DebateProtocol debate = Debate(reply, delaySeconds, timeoutSeconds: 0.05);

        foreach ((OversightQuestion question, _) in Questions.Take(3))
        {
            foreach (Game game in (await debate.JudgeDetailedAsync(question, TestContext.Current.CancellationToken)).Games)
            {
                var forfeits = game.Transcript.Where(t => t.Text.StartsWith("forfeits the turn (", StringComparison.Ordinal)).ToList();
                // Two statements, then every move of rounds 2 and 3 forfeited; nothing to check, so the judge's impressions decide.
                Assert.Equal(4, forfeits.Count);
                Assert.All(forfeits, t => Assert.Contains(recorded, t.Text, StringComparison.Ordinal));
                Assert.Equal(6, game.Turns);
                Assert.False(game.DecidedByCheck);
                Assert.Equal(0, game.Checks);
            }
        }
    }

    [Fact]
    public void Chat_debaters_need_a_model()
    {
        var errors = new List<ValidationResult>();
        var options = new DebaterOptions { Name = DebateNames.ChatDebater };
        Validator.TryValidateObject(options, new ValidationContext(options), errors, validateAllProperties: true);

        Assert.Contains(errors, e => e.ErrorMessage!.Contains("set model to a chat-model component", StringComparison.Ordinal));
    }
}
