using DePinLedger.Cli;

return DepinCli.Run(args, Console.Out, Console.Error);
