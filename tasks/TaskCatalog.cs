using PeftBench.Core.Catalogs;
using PeftBench.Core.Tasks;
using PeftBench.Tasks.Audio.Tasks;
using PeftBench.Tasks.Glue.Tasks;

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
        Digits.Create(),
        Keywords.Create(),
        SoundEventsTask.Create(),
        .. Esc50.CreateFolds(),
        SpeechCommands.Create35(),
        SpeechCommands.Create10(),
    ], t => t.Id);
}
