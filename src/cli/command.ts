/**
 * One `urbis <command>`: its own file under cli/commands, registered in cli/main.ts.
 */
export interface Command {
  name: string;
  /** One line, e.g. "urbis import FILE [--mapping FILE]". */
  usage: string;
  summary: string;
  /** Extra help shown by `urbis <command> --help` (options, examples). */
  help?: string;
  /**
   * Runs the command with the arguments after its name. Returns the exit code, or undefined when
   * the command keeps running (a server). Throws ConfigError for bad usage (exit code 2).
   */
  run(args: string[]): Promise<number | undefined>;
}
