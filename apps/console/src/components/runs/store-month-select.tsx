'use client';

// The months of the store's trip-data as a picker (runs.months): the batch trigger form and the
// Models page's comparison offer only months that exist, the same way.
import { Field, Select } from '~/components/ui/form';

export type TStoreMonth = { taxiType: string; year: number; month: number };

export const storeMonthKey = (m: TStoreMonth) =>
  `${m.taxiType}:${m.year}-${String(m.month).padStart(2, '0')}`;

/** The chosen month, or the first (newest) one while nothing was chosen or the choice is gone. */
export function pickStoreMonth<T extends TStoreMonth>(
  months: T[],
  selected: string | null,
): T | undefined {
  return months.find((m) => storeMonthKey(m) === selected) ?? months[0];
}

export function StoreMonthSelect({
  id,
  label = 'Month',
  months,
  chosen,
  disabled,
  className,
  onChange,
}: {
  id: string;
  /** The field's label (the Training page has a training and a validation month). */
  label?: string;
  months: TStoreMonth[];
  chosen: TStoreMonth | undefined;
  disabled: boolean;
  className?: string;
  onChange: (key: string) => void;
}) {
  return (
    <Field id={id} label={label}>
      <Select
        id={id}
        className={className}
        value={chosen ? storeMonthKey(chosen) : ''}
        disabled={disabled}
        onChange={(e) => onChange(e.target.value)}
      >
        {months.map((m) => (
          <option key={storeMonthKey(m)} value={storeMonthKey(m)}>
            {m.taxiType} {m.year}-{String(m.month).padStart(2, '0')}
          </option>
        ))}
      </Select>
    </Field>
  );
}
