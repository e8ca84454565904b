import { useEffect, useRef, useState } from 'react';
import { useTranslation } from '../i18n';

const WARN_AT_SECONDS = 60;

function clock(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  const two = (n: number) => String(n).padStart(2, '0');
  const hours = Math.floor(s / 3600);
  const rest = `${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
  return hours > 0 ? `${hours}:${rest}` : rest;
}

/**
 * Time left until the server's deadline, by the second. `onExpired` runs once when it reaches zero (the server,
 * not this clock, closes the attempt). Screen readers hear it at five minutes and one minute, not every second.
 */
export function Countdown({ deadline, onExpired }: { deadline: string; onExpired: () => void }) {
  const end = new Date(deadline).getTime();
  const [now, setNow] = useState(() => Date.now());
  const expired = useRef(false);
  const expiredRef = useRef(onExpired);
  expiredRef.current = onExpired;

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, []);
  const left = (end - now) / 1000;
  useEffect(() => {
    if (left <= 0 && !expired.current) {
      expired.current = true;
      expiredRef.current();
    }
  }, [left]);

  const { t } = useTranslation();
  const minutesLeft = Math.ceil(left / 60);
  const announcement =
    left <= 0
      ? t('quiz.timeUp')
      : minutesLeft === 5 || minutesLeft === 1
        ? t('quiz.minutesLeft', { value: minutesLeft })
        : '';
  return (
    <div className={left <= WARN_AT_SECONDS ? 'countdown low' : 'countdown'}>
      <span className="countdown-label">{t('quiz.timeLeft')}</span>{' '}
      <span role="timer" aria-label={`${t('quiz.timeLeft')} ${clock(left)}`} className="countdown-value">
        {clock(left)}
      </span>
      <span className="visually-hidden" role="status">
        {announcement}
      </span>
    </div>
  );
}
