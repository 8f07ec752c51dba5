import { useEffect, useRef } from 'react';

/** The id of the element around each page's content (focusable by script only: tabIndex -1). */
export const MAIN_CONTENT_ID = 'main-content';

function focusMain(): boolean {
  const main = document.getElementById(MAIN_CONTENT_ID);
  if (!main) return false;
  main.focus();
  return true;
}

/** First stop of the Tab order: straight past the header to the page's content. */
export function SkipLink() {
  return (
    <a
      className="skip-link"
      href={`#${MAIN_CONTENT_ID}`}
      onClick={(e) => {
        if (focusMain()) e.preventDefault();
      }}
    >
      Skip to content
    </a>
  );
}

/**
 * After an in-app navigation, focus goes to the new page's content, as a page load would put
 * a screen reader there, instead of staying on a link that may no longer exist.
 */
export function useFocusOnNavigation(path: string): void {
  const previous = useRef(path);
  useEffect(() => {
    if (previous.current === path) return;
    previous.current = path;
    focusMain();
  }, [path]);
}
