using AlignFx.Abstractions.Tasks;

namespace AlignFx.Feedback;

/// <summary>Reads the truth a stage attached to a response (<see cref="GoldFeatures.Attach"/>).</summary>
internal static class GoldTruth
{
    public static GoldEvaluation Of(Response response, string source) =>
        GoldFeatures.Read(response) ?? throw new InvalidOperationException(
            $"{source} needs the gold evaluation of response '{response.Id}' in its metadata ('{GoldFeatures.ScoreKey}', " +
            $"'{GoldFeatures.MetadataPrefix}<feature>'); the collect-feedback stage attaches it with GoldFeatures.Attach, and so must any other stage that asks this source.");

    /// <summary>The response without the gold metadata, so that stored datasets do not carry the truth to reward models.</summary>
    public static Response Strip(Response response)
    {
        if (!response.Metadata.Keys.Any(k => k.StartsWith(GoldFeatures.MetadataPrefix, StringComparison.Ordinal)))
        {
            return response;
        }
        return response with
        {
            Metadata = response.Metadata.Where(e => !e.Key.StartsWith(GoldFeatures.MetadataPrefix, StringComparison.Ordinal))
                .ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal),
        };
    }
}
