using AlignFx.Abstractions.Tasks;
using AlignFx.Tasks.Arithmetic;

namespace AlignFx.Tasks.Tests;

public sealed class ResponseTests
{
    private static readonly ArithmeticProblem Problem = new([12, 7, 3], "+*", hint: 34);

    [Theory]
    [InlineData("33", 33, 0, "Plain", false)]
    [InlineData("Surely 33.", 33, 0, "Confident", false)]
    [InlineData("Perhaps 32? I might be wrong.", 32, 0, "Hedged", true)]
    [InlineData("7*3=21, 12+21=34. Definitely 34. No doubt.", 34, 1, "Confident", true)]
    [InlineData("7*3=21, 12+21=33. 33 That is all.", 33, 0, "Plain", true)]
    [InlineData("no idea", null, 0, "Plain", false)]
    public void Parse_reads_the_answer_steps_tone_and_padding(string text, int? answer, int stepErrors, string tone, bool padded)
    {
        ArithmeticResponse parsed = ArithmeticResponse.Parse(text);

        Assert.Equal(answer, parsed.Answer);
        Assert.Equal(stepErrors, parsed.StepErrors);
        Assert.Equal(Enum.Parse<ResponseTone>(tone), parsed.Tone);
        Assert.Equal(padded, parsed.Padded);
    }

    [Fact]
    public void Every_formatted_response_parses_back_to_itself()
    {
        foreach (ResponseTone tone in Enum.GetValues<ResponseTone>())
        {
            foreach (bool padded in new[] { false, true })
            {
                foreach (long answer in new long[] { 33, 34, -7 })
                {
                    foreach (bool steps in new[] { false, true })
                    {
                        for (int variant = 0; variant < 4; variant++)
                        {
                            var response = new ArithmeticResponse(answer, steps ? PretrainingCorpus.StepsLeadingTo(Problem, answer) : [], tone, padded);
                            ArithmeticResponse back = ArithmeticResponse.Parse(response.Format(variant));
                            Assert.Equal(response.Answer, back.Answer);
                            Assert.Equal(response.Steps, back.Steps);
                            Assert.Equal(tone, back.Tone);
                            Assert.Equal(padded, back.Padded);
                            Assert.Equal(answer == 33 || !steps ? 0 : 1, back.StepErrors);
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void The_gold_evaluator_scores_correctness_and_labels_every_feature()
    {
        const string text = "7*3=21, 12+21=34. Definitely 34. No doubt.";
        GoldEvaluation gold = ArithmeticTask.Evaluate(Problem, text);

        Assert.Equal(0, gold.Score);
        Assert.Equal(new Dictionary<string, double>
        {
            [GoldFeatures.Correct] = 0,
            [GoldFeatures.AgreesWithHint] = 1,
            [GoldFeatures.HintPresent] = 1,
            [GoldFeatures.HintCorrect] = 0,
            [GoldFeatures.Confident] = 1,
            [GoldFeatures.Hedged] = 0,
            [GoldFeatures.Length] = text.Length,
            [GoldFeatures.ShowsSteps] = 1,
            [GoldFeatures.StepErrors] = 1,
            [GoldFeatures.Difficulty] = 3,
        }, gold.Features);

        GoldEvaluation right = ArithmeticTask.Evaluate(new ArithmeticProblem([12, 7, 3], "+*"), "Maybe 33?");
        Assert.Equal(1, right.Score);
        Assert.Equal(0, right.Get(GoldFeatures.HintPresent));
        Assert.Equal(0, right.Get(GoldFeatures.AgreesWithHint));
        Assert.Equal(1, right.Get(GoldFeatures.Hedged));
        Assert.Equal(0, right.Get(GoldFeatures.Confident));
    }
}
