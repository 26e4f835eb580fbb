/// Process exit codes shared by every command (DESIGN.md section 9): the sysexits values for
/// failures, so scripts and systemd can tell bad usage from a database that could not be reached.
public enum ExitStatus {
    /// Success.
    public static let ok: Int32 = 0
    /// The command line was wrong (EX_USAGE).
    public static let usage: Int32 = 64
    /// The command could not run: cannot connect, internal error (EX_SOFTWARE).
    public static let couldNotRun: Int32 = 70
    /// The configuration is invalid (EX_CONFIG).
    public static let badConfiguration: Int32 = 78
}
