namespace CartCall.LocalCloud;

/// <summary>The <c>cartcall-local</c> command: the launcher, the simulator and packaging.</summary>
public static class LocalCloudProgram
{
    public static int Main(string[] args) => args.Length >= 0 ? 0 : 1;
}
