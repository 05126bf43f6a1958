/**
 * The training layer's logger (lib/core/logging.ts): Python's levels, verbosity and line format.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as logging from '../../lib/core/logging';

describe('logging', () => {
  const original = logging.getVerbosity();
  const lines: string[] = [];
  afterEach(() => {
    logging.setVerbosity(original);
    logging.setSink((r) => {
      process.stderr.write(`${r.levelName}:tensorflow:${r.message}\n`);
    });
    lines.length = 0;
  });

  it('writes WARN and above by default, as Python does, in Python\'s "LEVEL:tensorflow:message" form', () => {
    expect(original).toBe(logging.Level.WARN);
    logging.setSink((r) => lines.push(`${r.levelName}:tensorflow:${r.message}`));
    logging.info('hidden');
    logging.warning('shown');
    logging.error('also shown');
    expect(lines).toEqual(['WARNING:tensorflow:shown', 'ERROR:tensorflow:also shown']);
  });

  it("setVerbosity() accepts Python's numbers and level names", () => {
    logging.setSink((r) => lines.push(r.message));
    logging.setVerbosity('info');
    logging.info('now shown');
    logging.setVerbosity(logging.Level.ERROR);
    logging.warning('hidden again');
    expect(lines).toEqual(['now shown']);
    expect(() => logging.setVerbosity('loud' as never)).toThrow(TypeError);
  });

  it('captureLogs() sees every level and silences the sink until restored', () => {
    logging.setSink((r) => lines.push(r.message));
    const capture = logging.captureLogs();
    logging.debug('d');
    logging.info('i');
    expect(capture.messages()).toEqual(['d', 'i']);
    expect(capture.messages(logging.Level.INFO)).toEqual(['i']);
    expect(capture.records[0].levelName).toBe('DEBUG');
    expect(lines).toEqual([]);
    capture.restore();
    logging.error('e');
    expect(lines).toEqual(['e']);
    expect(capture.messages()).toEqual(['d', 'i']);
  });
});
