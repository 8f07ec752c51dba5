import { useNotifications } from '../realtime/notifications';
import { navigate } from '../router';

/** New notifications as toasts with a link to the task; announced politely to screen readers. */
export function NotificationToasts() {
  const { toasts, dismissToast, markRead } = useNotifications();
  return (
    <div className="toasts" role="status" aria-live="polite">
      {toasts.map((n) => (
        <div key={n.id} className="toast" data-kind={n.kind}>
          <a
            href={`/tasks/${n.taskId}`}
            onClick={(e) => {
              e.preventDefault();
              dismissToast(n.id);
              void markRead({ ids: [n.id] }).catch(() => undefined);
              navigate(`/tasks/${n.taskId}`);
            }}
          >
            {n.message}
          </a>
          <button type="button" aria-label="Dismiss" onClick={() => dismissToast(n.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
