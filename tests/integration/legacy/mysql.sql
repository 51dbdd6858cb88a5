-- A legacy MariaDB/MySQL schema, written by hand (not by typedorm): DATETIME without zone, DECIMAL
-- money, a self-referential key, a link table with an extra column, composite keys and the old
-- case-insensitive utf8mb3_general_ci / latin1_swedish_ci collations.
CREATE TABLE departments (
    id INT NOT NULL PRIMARY KEY,
    name VARCHAR(50) NOT NULL UNIQUE,
    budget DECIMAL(12,2) NOT NULL DEFAULT 0,
    founded DATE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_general_ci;
CREATE TABLE employees (
    id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    department_id INT NOT NULL,
    manager_id INT NULL,
    email VARCHAR(100) CHARACTER SET latin1 COLLATE latin1_swedish_ci NOT NULL,
    salary DECIMAL(10,2) NOT NULL,
    hired_at DATETIME NOT NULL,
    last_login DATETIME(6) NULL,
    active BOOLEAN NOT NULL DEFAULT 1,
    badge CHAR(36) NULL,
    prefs JSON NULL,
    photo BLOB NULL,
    rating DOUBLE NULL,
    FOREIGN KEY (department_id) REFERENCES departments (id),
    FOREIGN KEY (manager_id) REFERENCES employees (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_general_ci;
CREATE TABLE projects (
    code VARCHAR(10) NOT NULL PRIMARY KEY,
    title TEXT NOT NULL,
    starts_on DATE NULL,
    daily_start TIME NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_general_ci;
CREATE TABLE assignments (
    employee_id INT NOT NULL,
    project_code VARCHAR(10) NOT NULL,
    role VARCHAR(30) NOT NULL DEFAULT 'member',
    assigned_at DATETIME NOT NULL,
    PRIMARY KEY (employee_id, project_code),
    FOREIGN KEY (employee_id) REFERENCES employees (id) ON DELETE CASCADE,
    FOREIGN KEY (project_code) REFERENCES projects (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_general_ci;
CREATE TABLE invoices (
    no INT NOT NULL PRIMARY KEY,
    department_id INT NOT NULL,
    issued_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    total DECIMAL(12,2) NOT NULL,
    FOREIGN KEY (department_id) REFERENCES departments (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_general_ci;
CREATE TABLE invoice_lines (
    invoice_no INT NOT NULL,
    line_no INT NOT NULL,
    amount DECIMAL(10,2) NOT NULL,
    note TEXT NULL,
    PRIMARY KEY (invoice_no, line_no),
    FOREIGN KEY (invoice_no) REFERENCES invoices (no)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_general_ci;
CREATE TABLE line_notes (
    invoice_no INT NOT NULL,
    line_no INT NOT NULL,
    seq INT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (invoice_no, line_no, seq),
    FOREIGN KEY (invoice_no, line_no) REFERENCES invoice_lines (invoice_no, line_no)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_general_ci;
INSERT INTO departments (id, name, budget, founded) VALUES (1, 'Sales', 150000.00, '1998-04-01'), (2, 'Research', 98000.50, NULL);
INSERT INTO employees (id, department_id, manager_id, email, salary, hired_at, last_login, active, badge, prefs, photo, rating) VALUES
    (1, 1, NULL, 'Boss@Example.com', 9100.00, '2001-02-03 08:00:00', '2024-05-06 07:08:09', 1, '6f1c2a7e-5a8b-4c1d-9e2f-0123456789ab', '{"theme":"dark"}', X'89504E47', 4.5),
    (2, 1, 1, 'ann@example.com', 5200.50, '2019-03-01 09:30:00', NULL, 1, NULL, NULL, NULL, NULL),
    (3, 2, 1, 'bob@example.com', 4800.25, '2020-11-15 14:45:30', '2024-01-02 03:04:05.250000', 0, NULL, '[1,2]', NULL, 3.25);
INSERT INTO projects (code, title, starts_on, daily_start) VALUES ('APOLLO', 'Apollo', '2024-01-15', '09:00:00'), ('ZEUS', 'Zeus', NULL, NULL);
INSERT INTO assignments (employee_id, project_code, role, assigned_at) VALUES
    (1, 'APOLLO', 'lead', '2024-01-10 10:00:00'), (2, 'APOLLO', 'member', '2024-01-11 11:00:00'), (3, 'ZEUS', 'member', '2024-02-01 12:00:00');
INSERT INTO invoices (no, department_id, issued_at, total) VALUES (1001, 1, '2024-03-01 00:00:00', 1250.75), (1002, 2, '2024-03-02 16:20:00', 99.99);
INSERT INTO invoice_lines (invoice_no, line_no, amount, note) VALUES (1001, 1, 1000.00, 'licence'), (1001, 2, 250.75, NULL), (1002, 1, 99.99, 'support');
INSERT INTO line_notes (invoice_no, line_no, seq, body) VALUES (1001, 1, 1, 'paid late');
