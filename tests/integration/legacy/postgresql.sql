-- A legacy PostgreSQL schema, written by hand (not by typedorm): zone-less timestamps, NUMERIC
-- money, a self-referential key, a link table with an extra column, composite keys, collations.
CREATE COLLATION legacy_ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE departments (
    id integer PRIMARY KEY,
    name varchar(50) COLLATE "C" NOT NULL UNIQUE,
    budget numeric(12,2) NOT NULL DEFAULT 0,
    founded date
);
CREATE TABLE employees (
    id serial PRIMARY KEY,
    department_id integer NOT NULL REFERENCES departments (id),
    manager_id integer REFERENCES employees (id),
    email varchar(100) COLLATE legacy_ci NOT NULL,
    salary numeric(10,2) NOT NULL,
    hired_at timestamp NOT NULL,
    last_login timestamp(0) without time zone,
    active boolean NOT NULL DEFAULT true,
    badge uuid,
    prefs jsonb,
    photo bytea,
    rating double precision
);
CREATE TABLE projects (
    code varchar(10) NOT NULL PRIMARY KEY,
    title text NOT NULL,
    starts_on date,
    daily_start time
);
CREATE TABLE assignments (
    employee_id integer NOT NULL REFERENCES employees (id) ON DELETE CASCADE,
    project_code varchar(10) NOT NULL REFERENCES projects (code),
    role varchar(30) NOT NULL DEFAULT 'member',
    assigned_at timestamp NOT NULL,
    PRIMARY KEY (employee_id, project_code)
);
CREATE TABLE invoices (
    no integer PRIMARY KEY,
    department_id integer NOT NULL REFERENCES departments (id),
    issued_at timestamp NOT NULL DEFAULT LOCALTIMESTAMP,
    total numeric(12,2) NOT NULL
);
CREATE TABLE invoice_lines (
    invoice_no integer NOT NULL REFERENCES invoices (no),
    line_no integer NOT NULL,
    amount numeric(10,2) NOT NULL,
    note text,
    PRIMARY KEY (invoice_no, line_no)
);
CREATE TABLE line_notes (
    invoice_no integer NOT NULL,
    line_no integer NOT NULL,
    seq integer NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (invoice_no, line_no, seq),
    FOREIGN KEY (invoice_no, line_no) REFERENCES invoice_lines (invoice_no, line_no)
);
INSERT INTO departments (id, name, budget, founded) VALUES (1, 'Sales', 150000.00, '1998-04-01'), (2, 'Research', 98000.50, NULL);
INSERT INTO employees (id, department_id, manager_id, email, salary, hired_at, last_login, active, badge, prefs, photo, rating) VALUES
    (1, 1, NULL, 'Boss@Example.com', 9100.00, '2001-02-03 08:00:00', '2024-05-06 07:08:09', true, '6f1c2a7e-5a8b-4c1d-9e2f-0123456789ab', '{"theme": "dark"}', '\x89504e47', 4.5),
    (2, 1, 1, 'ann@example.com', 5200.50, '2019-03-01 09:30:00', NULL, true, NULL, NULL, NULL, NULL),
    (3, 2, 1, 'bob@example.com', 4800.25, '2020-11-15 14:45:30.25', '2024-01-02 03:04:05', false, NULL, '[1, 2]', NULL, 3.25);
SELECT setval('employees_id_seq', 3);
INSERT INTO projects (code, title, starts_on, daily_start) VALUES ('APOLLO', 'Apollo', '2024-01-15', '09:00:00'), ('ZEUS', 'Zeus', NULL, NULL);
INSERT INTO assignments (employee_id, project_code, role, assigned_at) VALUES
    (1, 'APOLLO', 'lead', '2024-01-10 10:00:00'), (2, 'APOLLO', 'member', '2024-01-11 11:00:00'), (3, 'ZEUS', 'member', '2024-02-01 12:00:00');
INSERT INTO invoices (no, department_id, issued_at, total) VALUES (1001, 1, '2024-03-01 00:00:00', 1250.75), (1002, 2, '2024-03-02 16:20:00', 99.99);
INSERT INTO invoice_lines (invoice_no, line_no, amount, note) VALUES (1001, 1, 1000.00, 'licence'), (1001, 2, 250.75, NULL), (1002, 1, 99.99, 'support');
INSERT INTO line_notes (invoice_no, line_no, seq, body) VALUES (1001, 1, 1, 'paid late');
