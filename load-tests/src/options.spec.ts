import { BenchUsageError, parseBenchArgs, USAGE, wantsHelp } from './options';

describe('npm run bench options', () => {
  it('says --port on the usage line', () => {
    expect(USAGE.split('\n')[0]).toContain('[--port P]');
  });

  it('asks for the usage with --help or -h, whatever else is there', () => {
    expect(wantsHelp(['--help'])).toBe(true);
    expect(wantsHelp(['smoke', '-h'])).toBe(true);
    expect(wantsHelp(['smoke', '--port', '4100'])).toBe(false);
  });

  it("answers an option it does not know with node's words and the usage, not a raw parser error", () => {
    let thrown: unknown;
    try {
      parseBenchArgs(['smoke', '--sockts', '5']);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(BenchUsageError);
    expect((thrown as Error).message).toMatch(/^Unknown option '--sockts'/);
    expect((thrown as Error).message).toContain(`\n\n${USAGE}`);
  });

  it('answers a missing or unknown scenario with the usage', () => {
    expect(() => parseBenchArgs([])).toThrow(new BenchUsageError('Missing scenario.'));
    expect(() => parseBenchArgs(['smok'])).toThrow(new BenchUsageError('Unknown scenario "smok".'));
  });

  it('knows webhook-to-screen, with its own defaults and a line in the usage', () => {
    expect(USAGE.split('\n')[0]).toContain('|webhook-to-screen|');
    expect(USAGE).toMatch(/^ {2}webhook-to-screen: /m);
    expect(parseBenchArgs(['webhook-to-screen'])).toMatchObject({ scenario: 'webhook-to-screen', sockets: 200, rate: 1, baseline: false });
    expect(parseBenchArgs(['webhook-to-screen', '--sockets', '50']).sockets).toBe(50);
  });

  it('knows rebalance: 2 → 4 nodes 20 s in by default, --scale-to and --scale-after', () => {
    expect(USAGE.split('\n')[0]).toContain('|rebalance|reconnect-storm>');
    expect(parseBenchArgs(['rebalance'])).toMatchObject({ scenario: 'rebalance', nodes: 2, scaleTo: 4, scaleAfterS: 20, baseline: false });
    expect(parseBenchArgs(['rebalance', '--nodes', '3', '--scale-after', '5'])).toMatchObject({ scaleTo: 6, scaleAfterS: 5 });
    expect(parseBenchArgs(['rebalance', '--scale-to', '8']).scaleTo).toBe(8);
    expect(() => parseBenchArgs(['rebalance', '--scale-to', '0'])).toThrow(BenchUsageError);
  });

  it('knows reconnect-storm: the first node SIGKILLed 20 s in by default, --kill-after', () => {
    expect(parseBenchArgs(['reconnect-storm'])).toMatchObject({ scenario: 'reconnect-storm', sockets: 2000, killAfterS: 20 });
    expect(parseBenchArgs(['reconnect-storm', '--kill-after', '5']).killAfterS).toBe(5);
    expect(parseBenchArgs(['reconnect-storm']).restart).toBe(false);
    expect(parseBenchArgs(['reconnect-storm', '--restart']).restart).toBe(true);
    expect(() => parseBenchArgs(['reconnect-storm', '--kill-after', 'soon'])).toThrow(BenchUsageError);
  });

  it('starts its cluster on --port, else PORT, else 3900', () => {
    expect(parseBenchArgs(['smoke']).port).toBe(3900);
    expect(parseBenchArgs(['smoke'], { PORT: '4100' }).port).toBe(4100);
    expect(parseBenchArgs(['smoke', '--port', '4200'], { PORT: '4100' }).port).toBe(4200);
    expect(() => parseBenchArgs(['smoke'], { PORT: 'http' })).toThrow(new BenchUsageError('PORT must be a port number, got "http"'));
  });
});
