System.Console.WriteLine(PeftBench.Core.Probe.Hello());
