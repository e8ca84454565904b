import { useEffect, useId, useState, type KeyboardEvent } from 'react';
import { useQuery } from 'urql';
import { UsersDocument, type PersonFieldsFragment } from '../../generated/operations/graphql';
import { useTranslation } from './i18n';
import { personName } from './ui';

/** How long typing pauses before the directory is asked. */
const SEARCH_PAUSE_MS = 200;

/**
 * A person field that picks by name: typing searches the tenant's directory (`users`), the matches
 * list below the field (name, email, the id small), arrow keys and Enter pick one. The value is the
 * picked person's id; `error` is the API's message for the field.
 */
export function PersonPicker({
  label,
  error,
  value,
  onChange,
}: {
  label: string;
  error?: string;
  value: PersonFieldsFragment | null;
  onChange: (person: PersonFieldsFragment | null) => void;
}) {
  const id = useId();
  const { t } = useTranslation();
  const [text, setText] = useState(value ? personName(value) : '');
  const [search, setSearch] = useState('');
  const [open, setOpen] = useState(false);
  // The option arrow keys moved to (-1: none yet); new matches start from none.
  const [active, setActive] = useState(-1);
  useEffect(() => {
    const timer = setTimeout(() => {
      setSearch(text.trim());
      setActive(-1);
    }, SEARCH_PAUSE_MS);
    return () => clearTimeout(timer);
  }, [text]);
  useEffect(() => {
    if (value === null) setText('');
  }, [value]);
  const [found] = useQuery({ query: UsersDocument, variables: { search: search || null, first: 8 }, pause: !open });
  const people = found.data?.users.nodes ?? [];
  const listId = `${id}-list`;
  const errorId = `${id}-error`;

  const pick = (person: PersonFieldsFragment) => {
    onChange(person);
    setText(personName(person));
    setOpen(false);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      setOpen(true);
      const step = event.key === 'ArrowDown' ? 1 : -1;
      setActive((index) =>
        people.length ? (Math.max(index, step > 0 ? -1 : 0) + step + people.length) % people.length : -1,
      );
    } else if (event.key === 'Enter' && open && people[active]) {
      event.preventDefault();
      pick(people[active]);
    } else if (event.key === 'Escape') {
      setOpen(false);
    }
  };

  return (
    <div className={error ? 'field invalid person-picker' : 'field person-picker'}>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        role="combobox"
        aria-expanded={open}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={open && people[active] ? `${id}-${people[active].id}` : undefined}
        aria-invalid={Boolean(error)}
        aria-describedby={error ? errorId : undefined}
        autoComplete="off"
        placeholder={t('personPicker.placeholder')}
        value={text}
        onChange={(event) => {
          setText(event.target.value);
          setActive(-1);
          setOpen(true);
          if (value) onChange(null);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setOpen(false)}
        onKeyDown={onKeyDown}
      />
      {value && <small className="hint person-id">{t('personPicker.id', { id: value.id })}</small>}
      <ul id={listId} role="listbox" aria-label={`${label}: matches`} className="person-options" hidden={!open}>
        {open && found.fetching && people.length === 0 && <li className="state">{t('personPicker.searching')}</li>}
        {open && !found.fetching && people.length === 0 && <li className="state">{t('personPicker.nobody')}</li>}
        {people.map((person, index) => (
          <li
            key={person.id}
            id={`${id}-${person.id}`}
            role="option"
            aria-selected={index === active}
            // Picking on mouse down keeps the input from losing focus (and closing the list) first.
            onMouseDown={(event) => {
              event.preventDefault();
              pick(person);
            }}
          >
            <span>{personName(person)}</span>
            {person.email && <span className="person-email">{person.email}</span>}
            <small className="person-id">{person.id}</small>
          </li>
        ))}
      </ul>
      {error && (
        <span id={errorId} className="field-error">
          {error}
        </span>
      )}
    </div>
  );
}
