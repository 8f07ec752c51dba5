import { useEffect } from 'react';
import { useNotifications } from '../realtime/notifications';

export const APP_TITLE = 'Taskflow Live';

/** The tab's title carries the unread notification count, "(3) Taskflow Live", so a background tab shows it. */
export function UnreadTitle() {
  const { unreadCount } = useNotifications();
  useEffect(() => {
    document.title = unreadCount > 0 ? `(${unreadCount}) ${APP_TITLE}` : APP_TITLE;
  }, [unreadCount]);
  useEffect(() => () => void (document.title = APP_TITLE), []);
  return null;
}
