using Workbench.Cli;

return Cli.Run(args);
