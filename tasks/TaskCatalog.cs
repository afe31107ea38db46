using PeftBench.Core.Catalogs;
using PeftBench.Core.Tasks;
using PeftBench.Tasks.Audio.Tasks;
using PeftBench.Tasks.Code.Tasks;
using PeftBench.Tasks.Glue.Tasks;
using PeftBench.Tasks.MathProblems.Tasks;
using PeftBench.Tasks.Vision.Tasks;

namespace PeftBench.Tasks;

/// <summary>Every registered task, one line each. Built once, frozen.</summary>
public static class TaskCatalog
{
    public static Catalog<TaskSpec> Create() => new("task", (TaskSpec[])
    [
        Cola.Create(),
        Sst2.Create(),
        Mrpc.Create(),
        Stsb.Create(),
        Qqp.Create(),
        Mnli.Create(),
        Qnli.Create(),
        Rte.Create(),
        Wnli.Create(),
        PeftBench.Tasks.Audio.Tasks.Digits.Create(),
        Keywords.Create(),
        SoundEventsTask.Create(),
        .. Esc50.CreateFolds(),
        SpeechCommands.Create35(),
        SpeechCommands.Create10(),
        FashionMnist.Create(),
        PeftBench.Tasks.Vision.Tasks.Digits.Create(),
        Shape.Create(),
        Count.Create(),
        Position.Create(),
        Orientation.Create(),
        Distance.Create(),
        Cifar100.Create(),
        EuroSat.Create(),
        WordProblems.Create(),
        Gsm8k.Create(),
        Svamp.Create(),
        Mawps.Create(),
        AquaRat.Create(),
        MiniCode.Create(),
        Mbpp.Create(),
        HumanEval.Create(),
    ], t => t.Id);
}
