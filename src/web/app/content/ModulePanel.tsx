import { useEffect, useRef, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import {
  WebAssignmentModulesDocument,
  WebLaunchModuleDocument,
  type WebAssignmentModulesQuery,
} from '../../../generated/operations/graphql';
import { useTranslation, i18n } from '../i18n';
import { ErrorMessage, Loaded } from '../ui';
import { openLaunch, type Launched } from './lrs';
import { trackVideo } from './videoProfile';
import './content.css';

type Module = NonNullable<WebAssignmentModulesQuery['trainingCourse']>['modules'][number];
type Progress = WebAssignmentModulesQuery['moduleProgress'][number];

/** A module's progress in words: done (or waived), how far a video got, or not started. */
function status(module: Module, progress: Progress | undefined): string {
  if (!progress) return i18n.t('content.status.notStarted');
  if (progress.waived) return i18n.t('content.status.waived');
  if (progress.satisfiedAt) return i18n.t('content.status.done');
  if (module.kind === 'VIDEO' && progress.positionSeconds != null && module.durationSeconds) {
    const percent = Math.round((100 * progress.positionSeconds) / module.durationSeconds);
    return i18n.t('content.status.watchedTo', { percent });
  }
  return i18n.t(progress.launchedAt ? 'content.status.started' : 'content.status.notStarted');
}

/**
 * The modules of an assignment's course with the learner's progress on each: a video plays here and reports through
 * the LRS; a document opens in a new tab (experienced, completed); a cmi5 AU opens at its launch URL.
 */
export function ModulePanel({
  assignmentId,
  courseId,
  canLaunch,
  onChanged,
}: {
  assignmentId: string;
  courseId: string;
  canLaunch: boolean;
  onChanged: () => void;
}) {
  const { t } = useTranslation();
  const [result, refetch] = useQuery({ query: WebAssignmentModulesDocument, variables: { courseId, assignmentId } });
  const [launching, launch] = useMutation(WebLaunchModuleDocument);
  const [playing, setPlaying] = useState<{ module: Module; launched: Launched }>();
  const [failure, setFailure] = useState<string>();
  const modules = result.data?.trainingCourse?.modules ?? [];
  const progress = new Map((result.data?.moduleProgress ?? []).map((p) => [p.module.id, p]));
  const reload = () => {
    refetch({ requestPolicy: 'network-only' });
    onChanged();
  };

  const open = async (module: Module) => {
    setFailure(undefined);
    // A window opened before the await is not a pop-up the browser blocks.
    const opened = module.kind === 'VIDEO' ? null : window.open('about:blank', '_blank');
    const answer = await launch({ assignmentId, moduleId: module.id });
    const url = answer.data?.launchModule.url;
    if (!url) {
      opened?.close();
      return;
    }
    try {
      if (module.kind === 'CMI5_AU' || module.kind === 'LINK') {
        if (opened) opened.location.href = url;
        else window.location.href = url;
        return;
      }
      const launched = await openLaunch(url, module.kind === 'VIDEO' ? 'video' : 'document', module.title);
      if (module.kind === 'VIDEO') return setPlaying({ module, launched });
      if (opened) opened.location.href = launched.location;
      await launched.send('experienced');
      await launched.send('completed', { completion: true });
      reload();
    } catch (error) {
      opened?.close();
      setFailure(error instanceof Error ? error.message : String(error));
    }
  };

  if (!result.fetching && modules.length === 0) return null;
  return (
    <div className="module-panel">
      <Loaded result={result} what={t('content.loadingWhat')}>
        <ul className="modules" aria-label={t('content.courseContent')}>
          {modules.map((module) => (
            <li key={module.id}>
              <span className="module-title">
                {module.title}
                {!module.required && t('content.optional')}
              </span>
              <span className="module-status">{status(module, progress.get(module.id))}</span>
              {canLaunch && (
                <button
                  type="button"
                  aria-label={t('content.actionOn', {
                    action: t(`content.actions.${module.kind}`),
                    title: module.title,
                  })}
                  disabled={launching.fetching}
                  onClick={() => void open(module)}
                >
                  {t(`content.actions.${module.kind}`)}
                </button>
              )}
            </li>
          ))}
        </ul>
      </Loaded>
      {launching.error && <ErrorMessage error={launching.error} />}
      {failure && <ErrorMessage error={failure} />}
      {playing && (
        <VideoPlayer
          key={playing.module.id}
          title={playing.module.title}
          launched={playing.launched}
          onCompleted={reload}
          onClose={() => {
            setPlaying(undefined);
            reload();
          }}
        />
      )}
    </div>
  );
}

function VideoPlayer({
  title,
  launched,
  onCompleted,
  onClose,
}: {
  title: string;
  launched: Launched;
  onCompleted: () => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const video = useRef<HTMLVideoElement>(null);
  const [watched, setWatched] = useState(false);
  useEffect(() => {
    if (!video.current) return undefined;
    return trackVideo(video.current, launched, () => {
      setWatched(true);
      onCompleted();
    });
    // The tracker lives as long as this player (one launch); onCompleted only refreshes lists.
  }, [launched]);
  return (
    <figure className="video-player">
      <video ref={video} src={launched.location} controls preload="metadata" aria-label={title} />
      <figcaption>
        {title}
        {watched && <span role="status">{t('content.watchedToEnd')}</span>}
        <button type="button" onClick={onClose}>
          {t('content.closeVideo')}
        </button>
      </figcaption>
    </figure>
  );
}
