/**
 * Replay, the digital-twin view: a time slider over the last 24 hours that rewinds the map and the
 * table to the sensors' state at the chosen instant, read from history (one temporal request per
 * type), with play/pause and a button back to the live city.
 */
import { useEffect, useRef, useState } from 'react';
import { loadStateAt, type PastState } from './api';
import { useI18n } from './i18n';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** How far one step of playback moves the clock. */
const PLAY_STEP = 10 * MINUTE;
const PLAY_TICK_MS = 1500;

export interface ReplayState {
  at: number;
  states: Map<string, PastState>;
}

const nowMinute = () => Math.floor(Date.now() / MINUTE) * MINUTE;

export function Replay({ onReplay }: { onReplay(r: ReplayState | undefined): void }) {
  const { t, date } = useI18n();
  /** The end of the slider's window: now, fixed while replaying so the thumb does not drift. */
  const [end, setEnd] = useState(nowMinute);
  /** The instant shown; undefined means live. */
  const [at, setAt] = useState<number>();
  const [shown, setShown] = useState<number>();
  const [playing, setPlaying] = useState(false);
  const [error, setError] = useState<string>();
  const report = useRef(onReplay);
  report.current = onReplay;

  // Leaving the page (e.g. for the vital signs) returns the app to live.
  useEffect(() => () => report.current(undefined), []);

  useEffect(() => {
    if (at !== undefined) return;
    const timer = setInterval(() => setEnd(nowMinute()), MINUTE / 2);
    return () => clearInterval(timer);
  }, [at]);

  useEffect(() => {
    if (at === undefined) {
      setShown(undefined);
      report.current(undefined);
      return;
    }
    let current = true;
    const timer = setTimeout(() => {
      loadStateAt(new Date(at)).then(
        (states) => {
          if (!current) return;
          setError(undefined);
          setShown(at);
          report.current({ at, states });
        },
        (e: Error) => current && setError(e.message),
      );
    }, 200);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [at]);

  useEffect(() => {
    if (!playing) return;
    const timer = setInterval(() => {
      setAt((a) => {
        const next = (a ?? end - DAY) + PLAY_STEP;
        if (next < end) return next;
        setPlaying(false);
        return end;
      });
    }, PLAY_TICK_MS);
    return () => clearInterval(timer);
  }, [playing, end]);

  const goLive = () => {
    setPlaying(false);
    setAt(undefined);
    setEnd(nowMinute());
  };
  const value = at ?? end;
  const when = date(new Date(value).toISOString());
  return (
    <section className="replay" aria-labelledby="replay-title">
      <h2 id="replay-title" className="visually-hidden">
        {t('replay.title')}
      </h2>
      <label htmlFor="replay-time">{t('replay.slider')}</label>
      <input
        id="replay-time"
        type="range"
        min={end - DAY}
        max={end}
        step={MINUTE}
        value={value}
        aria-valuetext={at === undefined ? t('replay.valueLive', { time: when }) : when}
        onChange={(e) => setAt(Number(e.target.value))}
      />
      <button type="button" onClick={() => setPlaying(!playing)}>
        {playing ? t('replay.pause') : t('replay.play')}
      </button>
      <button type="button" onClick={goLive}>
        {t('replay.live')}
      </button>
      <span role="status" className="replay-state" data-replay-at={shown === undefined ? undefined : new Date(shown).toISOString()}>
        {error ? t('error.load', { detail: error }) : at === undefined ? t('replay.showingLive') : shown === at ? t('replay.showing', { time: when }) : t('replay.loading')}
      </span>
    </section>
  );
}
