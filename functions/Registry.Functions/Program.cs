using Registry.Functions;

// The Functions host always starts its worker with --functions-uri (and the native host sets an AppContext key);
// anything else is a user starting the executable: run the standalone host.
var underFunctionsHost = args.Any(a => a.StartsWith("--functions-uri", StringComparison.Ordinal))
    || AppContext.GetData("AZURE_FUNCTIONS_NATIVE_HOST") is not null;
if (underFunctionsHost)
{
    FunctionsWorker.Run(args);
}
else
{
    StandaloneHost.Run(args);
}
