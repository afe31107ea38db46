namespace PeftBench.Tasks.MathProblems;

/// <summary>
/// One generation example: the model reads <see cref="Prompt"/> and is trained to write <see cref="Target"/> (a worked
/// solution ending in a GSM8K-style <c>#### answer</c> line); it is scored by comparing the answer extracted from its
/// output with <see cref="Answer"/>, the gold answer in canonical form (a number as <see cref="MathAnswers.Format"/>
/// writes it, or an option letter A–E for AQuA-RAT). Not a classification <c>Example</c>: there is no label index.
/// </summary>
public sealed record GenerationExample(string Prompt, string Target, string Answer);

/// <summary>How a task's answers are compared: numerically, or as a multiple-choice option letter (AQuA-RAT).</summary>
public enum MathAnswerKind { Number, OptionLetter }
