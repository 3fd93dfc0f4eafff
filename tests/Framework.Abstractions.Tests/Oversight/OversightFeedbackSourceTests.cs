using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Oversight;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.Abstractions.Tests.Oversight;

public class OversightFeedbackSourceTests
{
    private static readonly Prompt Question = new("q1", "What is 6 * 7?");

    [Fact]
    public async Task VerdictsBecomeSoftPreferencesWithProvenanceAndTranscript()
    {
        var judge = new ScriptedJudge([new OversightVerdict(1, 0.8, [new("debater-a", "42"), new("judge", "B")]) { Cost = 3, Judge = "judge-model" },
                                       new OversightVerdict(0, 1.5, []) ]);
        var source = new OversightFeedbackSource(judge, "debate");
        FeedbackQuery[] queries = [new PairwiseQuery("c1", new(Question, "41"), new(Question, "42")), new PairwiseQuery("c2", new(Question, "42"), new(Question, "40"))];

        IReadOnlyList<FeedbackRecord> records = await source.AnswerAsync(queries, CancellationToken.None);

        var first = Assert.IsType<PairwiseFeedback>(records[0]);
        Assert.Equal(0.2, first.PreferFirst, 12); // chose the second with confidence 0.8
        Assert.Equal(("c1", "debate", "judge-model", 3.0, 0.8), (first.QueryId, first.Provenance.Source, first.Provenance.Annotator, first.Provenance.Cost, first.Provenance.Confidence));
        Assert.Equal(["debater-a", "judge"], first.Transcript!.Select(t => t.Speaker));
        var second = Assert.IsType<PairwiseFeedback>(records[1]);
        Assert.Equal(1.0, second.PreferFirst); // confidence clamped to [0, 1]
        Assert.Equal("debate", second.Provenance.Annotator);
        Assert.Equal([2, 2], judge.CandidateCounts);
    }

    [Fact]
    public async Task OnlyPairwiseQueriesAreAnswered()
    {
        var source = new OversightFeedbackSource(new ScriptedJudge([]), "debate");

        Assert.Equal([FeedbackKind.Pairwise], source.Supports);
        var error = await Assert.ThrowsAsync<NotSupportedException>(() => source.AnswerAsync([new RatingQuery("r1", new(Question, "42"))], CancellationToken.None));
        Assert.Equal("debate answers pairwise queries only, not Rating (query r1).", error.Message);
    }

    private sealed class ScriptedJudge(IReadOnlyList<OversightVerdict> verdicts) : IOversightMethod
    {
        private int _next;

        public List<int> CandidateCounts { get; } = [];

        public Task<OversightVerdict> JudgeAsync(OversightQuestion question, CancellationToken ct)
        {
            CandidateCounts.Add(question.Candidates.Count);
            return Task.FromResult(verdicts[_next++]);
        }
    }
}
