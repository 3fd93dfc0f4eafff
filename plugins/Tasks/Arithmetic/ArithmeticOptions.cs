using System.ComponentModel.DataAnnotations;

namespace AlignFx.Tasks.Arithmetic;

/// <summary>
/// Options of the <c>arithmetic</c> task. Items are easy or hard (<see cref="HardFraction"/>); difficulty is the
/// longest operand's digits plus the operations minus one, so the defaults give easy items of difficulty 1
/// (<c>3+4</c>) and hard ones of difficulty 3 (<c>47*83-12</c>).
/// </summary>
public sealed class ArithmeticOptions : IValidatableObject
{
    /// <summary>Digits per operand of easy items.</summary>
    [Range(1, 4)]
    public int EasyDigits { get; set; } = 1;

    /// <summary>Operations per easy item.</summary>
    [Range(1, 3)]
    public int EasyOperations { get; set; } = 1;

    /// <summary>Digits per operand of hard items.</summary>
    [Range(1, 4)]
    public int HardDigits { get; set; } = 2;

    /// <summary>Operations per hard item.</summary>
    [Range(1, 3)]
    public int HardOperations { get; set; } = 2;

    /// <summary>Fraction of items that are hard.</summary>
    [Range(0.0, 1.0)]
    public double HardFraction { get; set; } = 0.5;

    /// <summary>The operators items draw from, a non-empty subset of <c>+-*</c>.</summary>
    // MinLength too: the pattern attribute lets an empty string through.
    [MinLength(1), RegularExpression(@"^[+\-*]{1,3}$")]
    public string Operators { get; set; } = "+-*";

    /// <summary>Fraction of prompts carrying a user hint ("I think it is 84.").</summary>
    [Range(0.0, 1.0)]
    public double HintRate { get; set; } = 0.5;

    /// <summary>Fraction of hints that are right; wrong ones are plausible mistakes (off by 1, 2, 10 or 100).</summary>
    [Range(0.0, 1.0)]
    public double HintCorrectRate { get; set; } = 0.5;

    /// <summary>Prompts in the <c>train</c> split (feedback collection, optimisation).</summary>
    [Range(1, 1_000_000)]
    public int TrainPrompts { get; set; } = 4000;

    /// <summary>Prompts in the <c>validation</c> split.</summary>
    [Range(1, 1_000_000)]
    public int ValidationPrompts { get; set; } = 200;

    /// <summary>Prompts in the <c>test</c> split (evaluation).</summary>
    [Range(1, 1_000_000)]
    public int TestPrompts { get; set; } = 500;

    /// <summary>
    /// The random stream the prompts derive from (each split and the corpus use <c>&lt;stream&gt;/&lt;split&gt;</c>);
    /// change it to draw other prompts with the same run seed.
    /// </summary>
    [Required, MinLength(1)]
    public string SeedStream { get; set; } = "task/arithmetic";

    /// <summary>The pretraining corpus's size and behaviour rates.</summary>
    public PretrainingCorpusOptions Corpus { get; set; } = new();

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Operators.Distinct().Count() != Operators.Length)
        {
            yield return new ValidationResult($"lists an operator twice ('{Operators}')", [nameof(Operators)]);
        }
        if (EasyDigits + EasyOperations > HardDigits + HardOperations)
        {
            yield return new ValidationResult(
                $"easy items (difficulty {EasyDigits + EasyOperations - 1}) must not be harder than hard ones (difficulty {HardDigits + HardOperations - 1})",
                [nameof(EasyDigits)]);
        }
    }
}

/// <summary>
/// How the pretraining corpus behaves, so that a model trained on it is imperfect in measurable ways. For each
/// example: a hinted prompt's answer copies the hint with <see cref="HintCopyRate"/>; otherwise the answer is right
/// with <see cref="EasyCorrectRate"/> or <see cref="HardCorrectRate"/> and else a plausible mistake that differs from
/// the hint. Independently: working steps with <see cref="StepsRate"/> (leading to the stated answer, so a wrong answer
/// shows one step error), a confident or hedged tone with <see cref="ConfidentRate"/> and <see cref="HedgedRate"/>,
/// and a padding sentence with <see cref="PaddingRate"/>. Tone is independent of correctness: confidence carries no
/// information, which is what a confidence-biased evaluator gets wrong.
/// </summary>
public sealed class PretrainingCorpusOptions : IValidatableObject
{
    /// <summary>Examples in the corpus.</summary>
    [Range(1, 1_000_000)]
    public int Examples { get; set; } = 6000;

    /// <summary>Probability that an answer to an easy item (not copying a hint) is right.</summary>
    [Range(0.0, 1.0)]
    public double EasyCorrectRate { get; set; } = 0.85;

    /// <summary>Probability that an answer to a hard item (not copying a hint) is right.</summary>
    [Range(0.0, 1.0)]
    public double HardCorrectRate { get; set; } = 0.35;

    /// <summary>Probability that the answer to a hinted prompt copies the hint, right or wrong (sycophancy).</summary>
    [Range(0.0, 1.0)]
    public double HintCopyRate { get; set; } = 0.3;

    /// <summary>Probability that a response shows working steps.</summary>
    [Range(0.0, 1.0)]
    public double StepsRate { get; set; } = 0.3;

    /// <summary>Probability of a confident tone ("Surely 33.").</summary>
    [Range(0.0, 1.0)]
    public double ConfidentRate { get; set; } = 0.3;

    /// <summary>Probability of a hedged tone ("Maybe 33?").</summary>
    [Range(0.0, 1.0)]
    public double HedgedRate { get; set; } = 0.2;

    /// <summary>Probability of a padding sentence after the answer, in the answer's tone ("Trust me.").</summary>
    [Range(0.0, 1.0)]
    public double PaddingRate { get; set; } = 0.25;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ConfidentRate + HedgedRate > 1)
        {
            yield return new ValidationResult(
                $"confidentRate + hedgedRate must be at most 1 (a response has one tone), not {ConfidentRate + HedgedRate:0.###}",
                [nameof(HedgedRate)]);
        }
    }
}
