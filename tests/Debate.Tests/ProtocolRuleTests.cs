using System.Reflection;
using AlignFx.Abstractions.Claims;
using AlignFx.Abstractions.Oversight;
using AlignFx.Abstractions.Tasks;
using FsCheck;
using FsCheck.Fluent;

namespace AlignFx.Debate.Tests;

/// <summary>The rules of the protocols: who may check, what a check decides, the budgets, the recursion, determinism.</summary>
public sealed class ProtocolRuleTests
{
    private static readonly List<(OversightQuestion Question, int Right)> Questions = Arena.Questions(5, 40);

    private static (DebateProtocol Debate, CountingTask Task) Debate(DebateOptions options, long seed = 3)
    {
        var task = new CountingTask(Arena.Task(5, 40));
        return (new DebateProtocol(options, new TestRunContext(seed), task), task);
    }

    /// <summary>The protocol's verdict (a simulated judge's completes synchronously).</summary>
    private static ProtocolOutcome Judge(IMeasuredOversight method, OversightQuestion question)
    {
        Task<ProtocolOutcome> judging = method.JudgeDetailedAsync(question, CancellationToken.None);
        Assert.True(judging.IsCompleted);
        return judging.Result;
    }

    [Fact]
    public void A_debater_sees_claims_through_a_view_without_the_check_and_only_the_judge_checks()
    {
        Assert.DoesNotContain(typeof(DebaterClaimView).GetMethods(BindingFlags.Public | BindingFlags.Instance), m => m.Name == nameof(IClaimChecker.Check));
        Assert.All(typeof(ScriptedDebater).GetConstructors().SelectMany(c => c.GetParameters()), p => Assert.NotEqual(typeof(IClaimChecker), p.ParameterType));

        (DebateProtocol debate, CountingTask task) = Debate(new DebateOptions
        {
            Debaters = new() { Honest = Arena.Skill(find: 0.7, mistake: 0.3), Dishonest = Arena.Skill(mistake: 0.5, steps: false) },
        });
        var games = Questions.SelectMany(q => Judge(debate, q.Question).Games).ToList();

        // Every check the task's checker answered is one the judge spent and wrote down as its own turn.
        Assert.True(task.Checker.Checks > 0);
        Assert.Equal(task.Checker.Checks, games.Sum(g => g.Checks));
        var checkTurns = games.SelectMany(g => g.Transcript).Where(t => t.Text.StartsWith("checks ", StringComparison.Ordinal)).ToList();
        Assert.Equal(task.Checker.Checks, checkTurns.Count);
        Assert.All(checkTurns, t => Assert.Equal(Speakers.Judge, t.Speaker));
    }

    [Fact]
    public void A_disputed_true_step_checked_by_the_judge_loses_the_disputer_the_debate()
    {
        // The honest debater never finds the false step and always disputes a true one.
        (DebateProtocol debate, _) = Debate(new DebateOptions { Debaters = new() { Honest = Arena.Skill(find: 0, mistake: 1), Dishonest = Arena.Skill(find: 0) } });

        foreach ((OversightQuestion question, int right) in Questions)
        {
            foreach (Game game in Judge(debate, question).Games)
            {
                Assert.True(game.DecidedByCheck);
                Assert.Equal(1 - right, game.Chosen);
                Assert.Contains(game.Transcript, t => t.Speaker == Speakers.Judge && t.Text.EndsWith(": true", StringComparison.Ordinal));
                Assert.Contains("disputed a true claim", game.Transcript[^1].Text, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void A_disputed_false_step_checked_by_the_judge_loses_the_debater_who_stated_it()
    {
        (DebateProtocol debate, _) = Debate(new DebateOptions());

        foreach ((OversightQuestion question, int right) in Questions)
        {
            ProtocolOutcome outcome = Judge(debate, question);
            Assert.Equal(right, outcome.Verdict.Chosen);
            Assert.All(outcome.Games, g => Assert.Contains("stated a false claim", g.Transcript[^1].Text, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void A_disputed_claim_beyond_the_judges_limit_is_split_until_a_part_is_checkable()
    {
        // The liar states its final claim only (difficulty 4, beyond the limit 3): the honest debater must dispute it and
        // the recursion must bring the dispute down to a checkable step.
        (DebateProtocol debate, _) = Debate(new DebateOptions { Debaters = new() { Dishonest = Arena.Skill(steps: false) } });

        foreach ((OversightQuestion question, int right) in Questions)
        {
            ProtocolOutcome outcome = Judge(debate, question);
            Assert.Equal(right, outcome.Verdict.Chosen);
            Assert.All(outcome.Games, g =>
            {
                Assert.True(g.DecidedByCheck);
                Assert.Contains(g.Transcript, t => t.Text.Contains(" holds because: ", StringComparison.Ordinal));
                Assert.Contains(g.Transcript, t => t.Text.StartsWith("I dispute part ", StringComparison.Ordinal));
            });
        }
    }

    [Fact]
    public void A_split_needs_turns_and_without_them_the_judge_falls_back_on_its_impressions()
    {
        // Two statements and one dispute use the three turns: no turn is left to split the disputed final claim.
        (DebateProtocol debate, CountingTask task) = Debate(new DebateOptions { MaxTurns = 3, Debaters = new() { Dishonest = Arena.Skill(steps: false) } });

        var games = Questions.SelectMany(q => Judge(debate, q.Question).Games.Select(g => (Game: g, q.Right))).ToList();

        Assert.All(games, g =>
        {
            Assert.False(g.Game.DecidedByCheck);
            Assert.Equal(3, g.Game.Turns);
            // When the honest debater moves first it disputes the final claim with the last turn; otherwise it has none.
            Assert.Equal(g.Game.Order[0] == g.Right, g.Game.Transcript.Any(t => t.Text.Contains("no turns are left to split it", StringComparison.Ordinal)));
        });
        Assert.Equal(0, task.Checker.Checks);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Simultaneous_turns_let_both_debaters_move_before_either_dispute_is_resolved(bool simultaneous)
    {
        // The honest debater disputes the false step; the liar always bluffs against a true claim.
        (DebateProtocol debate, _) = Debate(new DebateOptions { Simultaneous = simultaneous, Debaters = new() { Dishonest = Arena.Skill(mistake: 1) } });

        foreach ((OversightQuestion question, int right) in Questions)
        {
            foreach (Game game in Judge(debate, question).Games)
            {
                int movesBeforeJudging = game.Transcript.TakeWhile(t => t.Speaker != Speakers.Judge)
                    .Count(t => t.Text.StartsWith("I dispute claim ", StringComparison.Ordinal));
                // Sequentially, the first mover's dispute is resolved before the second moves (the honest side's ends the debate).
                Assert.Equal(simultaneous ? 2 : 1, movesBeforeJudging);
            }
        }
    }

    [Fact]
    public void A_judge_without_checks_decides_every_debate_by_its_impressions()
    {
        (DebateProtocol debate, CountingTask task) = Debate(new DebateOptions { Judge = new JudgeOptions { ChecksPerDebate = 0 } });

        var games = Questions.SelectMany(q => Judge(debate, q.Question).Games).ToList();

        Assert.All(games, g => Assert.False(g.DecidedByCheck));
        Assert.Equal(0, task.Checker.Checks);
        Assert.Contains(games.SelectMany(g => g.Transcript), t => t.Text.StartsWith("no check left for ", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_and_turn_budgets_hold_in_every_game_whatever_the_skills_and_budgets()
    {
        var cases = Gen.Choose(0, 3).SelectMany(checks =>
            Gen.Choose(2, 10).SelectMany(turns =>
                Gen.Choose(1, 5).SelectMany(rounds =>
                    Gen.Choose(0, 10).SelectMany(find =>
                        Gen.Choose(0, 10).SelectMany(mistake =>
                            Gen.Elements(true, false).SelectMany(steps =>
                                Gen.Choose(0, 1000).Select(seed => (checks, turns, rounds, find, mistake, steps, seed))))))));
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var options = new DebateOptions
            {
                Judge = new JudgeOptions { ChecksPerDebate = c.checks },
                MaxTurns = c.turns,
                Rounds = c.rounds,
                Debaters = new()
                {
                    Honest = Arena.Skill(find: c.find / 10.0, mistake: c.mistake / 10.0),
                    Dishonest = Arena.Skill(find: c.find / 10.0, mistake: c.mistake / 10.0, steps: c.steps),
                },
            };
            (DebateProtocol debate, CountingTask task) = Debate(options, c.seed);
            var games = Questions.Take(6).SelectMany(q => Judge(debate, q.Question).Games).ToList();
            return games.All(g => g.Checks <= c.checks && g.Turns <= Math.Max(2, c.turns)) && task.Checker.Checks == games.Sum(g => g.Checks);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void The_same_seed_gives_the_same_transcripts_and_another_seed_other_ones()
    {
        var options = new DebateOptions { Judge = Arena.BiasedJudge(1), Debaters = new() { Honest = Arena.Skill(find: 0.5, mistake: 0.2, persuasiveness: 0.5) } };
        IReadOnlyList<string> Transcripts(long seed)
        {
            (DebateProtocol debate, _) = Debate(options, seed);
            return [.. Questions.Select(q => string.Join("\n", Judge(debate, q.Question).Verdict.Transcript.Select(t => $"{t.Speaker}: {t.Text}")))];
        }

        Assert.Equal(Transcripts(11), Transcripts(11));
        Assert.NotEqual(Transcripts(11), Transcripts(12));
    }

    [Fact]
    public void A_debate_reads_as_the_golden_transcript()
    {
        (DebateProtocol debate, _) = Debate(new DebateOptions
        {
            Judge = Arena.BiasedJudge(),
            Debaters = new() { Honest = Arena.Skill(find: 0.5, mistake: 0.2), Dishonest = Arena.Skill(persuasiveness: 1, steps: false) },
        });
        string text = string.Join("\n\n", Questions.Take(3).Select(q =>
        {
            OversightVerdict verdict = Judge(debate, q.Question).Verdict;
            return $"{q.Question.Candidates[0].Prompt.Text} candidates: {string.Join(" | ", q.Question.Candidates.Select(c => c.Text))} (right: {q.Right})\n"
                + string.Join("\n", verdict.Transcript.Select(t => $"{t.Speaker}: {t.Text}"));
        })) + "\n";

        GoldenFiles.Check("debate-transcripts.txt", text);
    }

    [Fact]
    public void Both_answers_the_same_is_a_tie_and_a_side_without_an_answer_forfeits()
    {
        (DebateProtocol debate, _) = Debate(new DebateOptions());
        Prompt prompt = Questions[0].Question.Candidates[0].Prompt;

        ProtocolOutcome same = Judge(debate, new OversightQuestion("same", [new Response(prompt, "7"), new Response(prompt, "Surely 7.")]));
        ProtocolOutcome forfeit = Judge(debate, new OversightQuestion("forfeit", [new Response(prompt, "I do not know"), new Response(prompt, "7")]));

        Assert.Equal(0.5, same.Verdict.Confidence);
        Assert.Equal(1, forfeit.Verdict.Chosen);
        Assert.All(forfeit.Games, g => Assert.Contains("forfeits", g.Transcript[^1].Text, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.0)]
    public void The_consultant_argues_for_the_answer_it_believes_right_at_the_honest_rate(double honestRate)
    {
        var task = new CountingTask(Arena.Task(5, 40));
        var consultancy = new ConsultancyProtocol(new ConsultancyOptions { HonestRate = honestRate }, new TestRunContext(3), task);

        foreach ((OversightQuestion question, int right) in Questions)
        {
            foreach (Game game in Judge(consultancy, question).Games)
            {
                TranscriptTurn statement = game.Transcript.First(t => t.Speaker == Speakers.Consultant);
                int argued = honestRate == 1 ? right : 1 - right;
                Assert.StartsWith($"Candidate {argued} is right", statement.Text, StringComparison.Ordinal);
                Assert.True(game.Checks <= 2);
                // An honest consultant's claims all hold: a check never rejects it.
                Assert.Equal(honestRate == 0 && game.DecidedByCheck, game.Chosen == right && game.DecidedByCheck);
            }
        }
    }

    [Fact]
    public void The_direct_judge_checks_answers_within_its_limit_and_is_right_on_them()
    {
        var task = new CountingTask(Arena.Task(5, 40, hardFraction: 0));
        var direct = new DirectProtocol(new DirectOptions(), new TestRunContext(3), task);
        var easy = task.GetPrompts(TaskSplits.Test).Take(20).Select((p, i) =>
        {
            long answer = Tasks.Arithmetic.ArithmeticProblem.TryParse(p.Text)!.Answer;
            return new OversightQuestion($"e{i}", [new Response(p, $"{answer + 1}"), new Response(p, $"{answer}")]);
        }).ToList();

        Assert.All(easy, q => Assert.Equal(1, Judge(direct, q).Verdict.Chosen));
        Assert.InRange(task.Checker.Checks, 40, 80);
    }
}
